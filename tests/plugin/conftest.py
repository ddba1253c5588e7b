import os
import sys
from pathlib import Path

import pytest

# pytester's in-process runs drop modules first imported inside them; numpy and torch cannot
# be imported twice in one process, so import everything heavy here, once.
import torch  # noqa: F401
import torch_pruning  # noqa: F401

try:
    import transformers.models.bert.modeling_bert  # noqa: F401
    import transformers.models.llama.modeling_llama  # noqa: F401
    import transformers.models.vit.modeling_vit  # noqa: F401

    import zoo

    zoo.import_transformers()
except ImportError:  # the HF tests skip themselves
    pass

import pytest_prune.check  # noqa: F401,E402

HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "zoo: the verdict test over the model zoo (heavy: about a minute on 2 cores; "
                                       "CI runs it, deselect locally with -m 'not zoo')")


@pytest.fixture
def models_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Subprocess runs need prune_models importable; in-process runs get it from sys.path."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE)] + sys.path))
    return HERE
