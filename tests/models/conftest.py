import pytest


@pytest.fixture(scope="module")
def one_torch_thread():
    """Encoder tests run torch on one thread: the machine's two cores are shared."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
