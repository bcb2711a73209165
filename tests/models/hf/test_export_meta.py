"""export.json is read and checked once, for scoring and for export alike."""

import json

import pytest

from shoprel.errors import RunDirError
from shoprel.models.hf.onnx import read_export_meta


def test_an_export_json_the_exporter_wrote_is_read(tmp_path):
    meta = {"files": {"fp32": "model.onnx", "int8": "model.int8.onnx"}, "preferred": "int8",
            "opset": 17}
    (tmp_path / "export.json").write_text(json.dumps(meta))
    assert read_export_meta(tmp_path) == meta


@pytest.mark.parametrize("text, problem", [
    (None, "unreadable ([Errno 2] No such file or directory: '{meta}')"),
    ('{"files": ', "unreadable (Expecting value: line 1 column 11 (char 10))"),
    ("[1]", "field 'files': not the model files of an export"),
    ('{"files": {"fp32": "../hf/model.safetensors"}, "preferred": "fp32"}',
     "field 'files': not the model files of an export"),
    ('{"files": {"fp32": "model.onnx"}, "preferred": "int8"}',
     "field 'preferred': not one of its files"),
])
def test_a_broken_export_json_is_one_line_naming_it_and_the_way_out(tmp_path, text, problem):
    meta = tmp_path / "export.json"
    if text is not None:
        meta.write_text(text)
    with pytest.raises(RunDirError) as info:
        read_export_meta(tmp_path)
    assert str(info.value) == (f"{meta}: {problem.format(meta=meta)}; export the run again "
                               f"(`shoprel export RUN --onnx`) or remove {tmp_path}")


@pytest.mark.parametrize("source", [["model.safetensors"], {"model.safetensors": 1}])
def test_an_export_json_with_a_broken_weights_record_is_one_line(tmp_path, source):
    meta = tmp_path / "export.json"
    meta.write_text(json.dumps({"files": {"fp32": "model.onnx"}, "preferred": "fp32",
                                "source_weights": source}))
    with pytest.raises(RunDirError) as info:
        read_export_meta(tmp_path)
    assert str(info.value) == (f"{meta}: field 'source_weights': not a checksum per weight "
                               f"file; export the run again (`shoprel export RUN --onnx`) or "
                               f"remove {tmp_path}")
