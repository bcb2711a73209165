"""serve keeps at most MAX_RECENT_TEXTS embedded texts in memory: more do not fit in a few GB."""

import pytest
from click.testing import CliRunner

from shoprel.cli import main
from shoprel.errors import ConfigError
from shoprel.models.backbones.embedding_store import MAX_RECENT_TEXTS
from shoprel.run.folder import Run
from shoprel.serve import ServeSettings, create_app

TOO_MANY = ("--recent-texts: at most 1,000,000, got {:,} (a kept text holds its vector and "
            "key, ~3,400 bytes at 768 dimensions: 1,000,000 take ~3.4 GB per backbone)")


@pytest.fixture
def loaded(monkeypatch) -> list:
    """Runs whose models were loaded."""
    opened = []
    load = Run.load_models
    monkeypatch.setattr(Run, "load_models", lambda self: opened.append(self.path) or load(self))
    return opened


@pytest.mark.parametrize("workers", [1, 2])
def test_more_recent_texts_than_fit_in_a_few_gb_are_one_line_before_any_model_loads(
        qc_run, never_served, loaded, workers):
    """--recent-texts had no upper bound: 10**10 started a server that grew until the machine
    ran out of memory (~3.4 KB per text at 768 dimensions); the option's range refuses it, as
    every number option refuses a value out of its range."""
    result = CliRunner().invoke(main, ["serve", str(qc_run), "--port", "0", "--workers",
                                       str(workers), "--recent-texts", str(10**10)])
    assert result.exit_code == 2
    assert result.stderr == (f"error: shoprel serve: invalid value for '--recent-texts': "
                             f"{10**10} is out of range; it must be at most {MAX_RECENT_TEXTS} "
                             "(shoprel serve --help)\n")
    assert loaded == []


def test_an_app_keeping_more_recent_texts_than_fit_is_refused_and_the_bound_is_not(qc_run,
                                                                                    loaded):
    with pytest.raises(ConfigError) as info:
        create_app(qc_run, ServeSettings(recent_texts=MAX_RECENT_TEXTS + 1))
    assert str(info.value) == TOO_MANY.format(MAX_RECENT_TEXTS + 1) and loaded == []
    assert create_app(qc_run, ServeSettings(recent_texts=MAX_RECENT_TEXTS)).state.predictor


def test_the_bound_is_told_in_the_option_help_and_the_settings_description():
    """--help and ServeSettings' field description said nothing of the bound a user hits."""
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    bound = f"at most {MAX_RECENT_TEXTS:,}"
    assert bound in " ".join(result.output.split())
    assert bound in ServeSettings.model_fields["recent_texts"].description
