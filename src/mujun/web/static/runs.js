// 批次: start a run through the API and follow the jobs under way; the CSRF token and the
// words come from the page's JSON block (#page-data).
(() => {
  const {token, states} = JSON.parse(document.getElementById("page-data").textContent);
  const ongoing = (row) => row.dataset.state === "queued" || row.dataset.state === "running";
  const rows = () => [...document.querySelectorAll("tr[data-job]")];

  for (const row of rows()) row.querySelector(".state").textContent = states[row.dataset.state];

  // Start a run: the API answers 202 with the job, which the reloaded page then follows.
  for (const form of document.querySelectorAll("form[data-kind]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = {
        kind: form.dataset.kind,
        profile: data.get("profile"),
        what_if: String(data.get("what_if") || "").split("\n").map((line) => line.trim()).filter(Boolean),
      };
      if (body.kind === "identification") body.as_of = data.get("as_of");
      else body.year = data.get("year") ? Number(data.get("year")) : null;
      const response = await fetch("/api/jobs", {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
        body: JSON.stringify(body),
      });
      if (response.status === 202) { location.reload(); return; }
      const problem = await response.json().catch(() => ({}));
      const detail = problem.detail;
      form.querySelector(".error").textContent = typeof detail === "string" ? detail
        : Array.isArray(detail) ? detail.map((d) => d.msg).join("; ") : response.statusText;
    });
  }

  // Follow the jobs under way every second; when one ends, reload to show its run.
  if (rows().some(ongoing)) {
    const timer = setInterval(async () => {
      let ended = false;
      for (const row of rows().filter(ongoing)) {
        const response = await fetch(`/api/jobs/${row.dataset.job}`);
        if (!response.ok) continue;
        const job = await response.json();
        row.dataset.state = job.state;
        row.querySelector("progress").value = job.progress;
        row.querySelector(".state").textContent = states[job.state];
        const english = document.documentElement.lang === "en";
        row.querySelector(".stage").textContent = (english ? job.stage_en : job.stage_zh) || "";
        ended = ended || !ongoing(row);
      }
      if (ended) { clearInterval(timer); location.reload(); }
    }, 1000);
  }
})();
