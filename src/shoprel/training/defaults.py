"""Defaults the CLI shows in its help, in a module light enough to import at start-up."""

DEFAULT_HARD_WEIGHT = 0.3  # distillation: share of the 0/1 label in each soft target
SPEED_ROWS = 2000  # rows teacher and student both score when their speed is compared
STUDENT_BACKBONE = "use-multilingual"  # the carried student's default backbone (config.py)
