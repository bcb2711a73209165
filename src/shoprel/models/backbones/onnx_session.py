"""Opening an exported ONNX graph with onnxruntime wherever its weights files really lie.

onnxruntime refuses external weights whose real path is outside the graph's folder ("External
data path escapes model directory"), so an export whose `model.onnx.data` is a symbolic link
into another folder (a cache assembled from another one, files deduplicated into a store) did
not load. A folder holding links is opened from the graph's bytes instead, each weights
location pointed at the real file and its folder named to onnxruntime, which still maps the
weights from disk: nothing is copied, the resident memory is a plain export's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from shoprel.errors import ShoprelError, one_line_reason

# onnxruntime's session option for where a graph given as bytes finds its external weights
WEIGHTS_FOLDER_OPTION = "session.model_external_initializers_file_folder_path"


class UnloadableExportError(ShoprelError):
    """An exported graph onnxruntime cannot open; names its folder and what to do."""


def external_weights_files(model: Path) -> list[str]:
    """The files (relative to the graph's folder) holding the graph's external weights, sorted;
    empty when its weights all lie inside the graph."""
    import onnx

    graph = onnx.load(str(model), load_external_data=False)
    return sorted({entry.value for tensor in _external_tensors(graph.graph)
                   for entry in tensor.external_data if entry.key == "location"})


def open_session(model: Path, options, providers: list[str]):
    """An onnxruntime session of the graph `model`, its weights read where they really lie."""
    import onnxruntime as ort
    from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

    refused = (ort_state.Fail, ort_state.InvalidArgument, ort_state.InvalidGraph,
               ort_state.InvalidProtobuf, ort_state.NoSuchFile, ort_state.NotImplemented)
    try:
        if not any(path.is_symlink() for path in model.parent.iterdir()):
            return ort.InferenceSession(str(model), options, providers=providers)
        graph, folder = _pointed_at_real_files(model)
        if folder is not None:
            options.add_session_config_entry(WEIGHTS_FOLDER_OPTION, str(folder))
        return ort.InferenceSession(graph.SerializeToString(), options, providers=providers)
    except refused as exc:
        raise UnloadableExportError(
            f"{model}: onnxruntime cannot load this export ({one_line_reason(exc)}); remove "
            f"the folder {model.parent} and it is exported again on next use") from exc


def _pointed_at_real_files(model: Path):
    """The graph with each external weights location renamed to its real file (links
    followed), and the one folder those files lie in (None: the weights are inside)."""
    import onnx

    graph = onnx.load(str(model), load_external_data=False)
    folders = set()
    for tensor in _external_tensors(graph.graph):
        for entry in tensor.external_data:
            if entry.key == "location":
                real = Path(os.path.realpath(model.parent / entry.value))
                folders.add(real.parent)
                entry.value = real.name
    if len(folders) > 1:
        raise UnloadableExportError(
            f"{model}: its weights files are links into different folders "
            f"({', '.join(sorted(map(str, folders)))}), and onnxruntime reads them from one: "
            f"replace the links in {model.parent} by the files they point to")
    return graph, next(iter(folders), None)


def _external_tensors(graph) -> Iterator:
    """The tensors of `graph` and of its nodes' attributes and subgraphs whose data lies in a
    file outside the graph."""
    import onnx

    for tensor in graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            yield tensor
    for node in graph.node:
        for attribute in node.attribute:
            for tensor in ([attribute.t] if attribute.HasField("t") else []) + list(
                    attribute.tensors):
                if tensor.data_location == onnx.TensorProto.EXTERNAL:
                    yield tensor
            for sub in ([attribute.g] if attribute.HasField("g") else []) + list(
                    attribute.graphs):
                yield from _external_tensors(sub)
