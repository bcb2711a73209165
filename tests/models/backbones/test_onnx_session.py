"""Opening an export whose files are links: weights held by node attributes and subgraphs are
followed as an initializer's are, and a graph holding its weights inside opens through a link."""

import numpy as np
import pytest

from shoprel.models.backbones.onnx_session import external_weights_files, open_session

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _constant(name: str, values: list[float]):
    from onnx import helper, numpy_helper

    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(
        np.asarray(values, dtype=np.float32), f"{name}_weights"))


def _graph_with_weights_in_attributes(outside: bool):
    """y = [1, 2] + (cond ? [10, 20] : [-1, -2]), each vector a Constant node's tensor, two
    of them in the If node's subgraphs; `outside`: each tensor in a file of its own."""
    from onnx import TensorProto, helper
    from onnx.external_data_helper import convert_model_to_external_data

    def branch(name, values):
        return helper.make_graph([_constant(name, values)], name, [], [
            helper.make_tensor_value_info(name, TensorProto.FLOAT, [2])])

    nodes = [_constant("base", [1.0, 2.0]),
             helper.make_node("If", ["cond"], ["picked"], then_branch=branch("then", [10, 20]),
                              else_branch=branch("else", [-1, -2])),
             helper.make_node("Add", ["base", "picked"], ["y"])]
    model = helper.make_model(helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])]),
        opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if outside:
        convert_model_to_external_data(model, all_tensors_to_one_file=False, size_threshold=0,
                                       convert_attribute=True)
    return model


def _scores(session) -> list[list[float]]:
    return [session.run(None, {"cond": np.array(cond)})[0].tolist() for cond in (True, False)]


def test_weights_of_node_attributes_and_subgraphs_are_followed_through_links(tmp_path):
    """A Constant node's tensor, in the graph or in an If node's branch, may lie in a file of
    its own: listed as the graph's weights files, and read from where its link leads."""
    export, store = tmp_path / "export", tmp_path / "store"
    export.mkdir()
    store.mkdir()
    onnx.save_model(_graph_with_weights_in_attributes(outside=True), str(export / "model.onnx"))
    files = external_weights_files(export / "model.onnx")
    assert files == ["base_weights", "else_weights", "then_weights"]
    for name in files:  # deduplicated into a store under other names
        (export / name).rename(store / f"blob-{name}")
        (export / name).symlink_to(store / f"blob-{name}")
    session = open_session(export / "model.onnx", ort.SessionOptions(),
                           ["CPUExecutionProvider"])
    assert _scores(session) == [[11.0, 22.0], [0.0, 0.0]]
    assert sorted(p.name for p in store.iterdir()) == [f"blob-{name}" for name in files]


def test_a_graph_holding_its_weights_opens_through_a_link(tmp_path):
    """An export whose graph holds every weight (a small int8 one) and is itself a link into
    another folder: opened from its bytes, with no weights folder to name."""
    export, elsewhere = tmp_path / "export", tmp_path / "elsewhere"
    export.mkdir()
    elsewhere.mkdir()
    onnx.save_model(_graph_with_weights_in_attributes(outside=False),
                    str(elsewhere / "model.onnx"))
    (export / "model.onnx").symlink_to(elsewhere / "model.onnx")
    assert external_weights_files(export / "model.onnx") == []
    session = open_session(export / "model.onnx", ort.SessionOptions(),
                           ["CPUExecutionProvider"])
    assert _scores(session) == [[11.0, 22.0], [0.0, 0.0]]
