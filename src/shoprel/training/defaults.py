"""Defaults the CLI shows in its help, in a module light enough to import at start-up."""

# distill's share of the 0/1 label in each soft target: a fast student of the default ranked new
# queries as well or better at 0.3 than at 1.0 on two query splits (0.6779 / 0.6744, and 0.6766
# at both), while the USE student and a fast run's own fast student ranked better at 1.0
# (docs/measurements-qc.md "Choosing `distill --hard-weight`")
DEFAULT_HARD_WEIGHT = 0.3
FOLDS_MIN, FOLDS_MAX = 2, 50  # cross-validation folds a run may have (folds.k, --folds)
SPEED_ROWS = 2000  # rows teacher and student both score when their speed is compared
STUDENT_BACKBONE = "use-multilingual"  # the carried student's default backbone (config.py)
# the preset whose model is that default student's (configs/embed-use.yaml): what `distill
# --student` is told to take for a teacher that names no student (an ensemble)
STUDENT_PRESET = "embed-use"
# what distill says to give for such a teacher, with no --student (api/wording.py rewords it)
NO_STUDENT_FIX = (f"give --student {STUDENT_PRESET} (train --student's student) or another "
                  "student's run config")
# The carried student learns from the labels alone unless asked otherwise: on pairs of new
# queries the USE student ranked better the less of the teacher's probability it took (two
# query splits of the real QC rows: 0.7345 / 0.7438 / 0.7463 at hard_weight 0.3 / 0.7 / 1.0,
# and 0.7177 / 0.7255 at 0.3 / 1.0; README "Scoring speed")
CARRIED_HARD_WEIGHT = 1.0
