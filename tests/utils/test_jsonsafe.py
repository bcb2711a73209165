from pathlib import Path

import numpy as np

from shoprel.utils.jsonsafe import json_safe


def test_numpy_values_stay_numbers_and_the_rest_becomes_text():
    record = {"auc": np.float32(0.75), "steps": np.int64(12), "curve": np.array([0.5, 0.7]),
              "folder": Path("/tmp/x"), "nested": [{"best": np.float64(0.25)}]}
    safe = json_safe(record)
    assert safe == {"auc": 0.75, "steps": 12, "curve": [0.5, 0.7], "folder": "/tmp/x",
                    "nested": [{"best": 0.25}]}
    assert isinstance(safe["steps"], int)
