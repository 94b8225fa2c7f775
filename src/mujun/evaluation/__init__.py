"""Per-mu comprehensive evaluation (亩均效益综合评价): indicators, scores, A/B/C/D grades."""
