import pytest

from geometry import native


@pytest.fixture(params=["compiled", "numpy"])
def mesh_passes(request, monkeypatch):
    """Run a test once with the compiled weld/edges/components and once with the numpy ones."""
    if request.param == "compiled" and not native.AVAILABLE:
        pytest.fail("geometry._native is not built: `make install` builds it (it needs a C compiler)")
    if request.param == "numpy":
        monkeypatch.setenv("GEOMETRY_NATIVE", "0")
    return request.param
