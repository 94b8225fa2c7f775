"""The web application: FastAPI, server-rendered pages and a JSON API under /api, every request
through one permission gate (:mod:`mujun.web.permissions`)."""
