"""A prefix of an option is not that option: `publish --history DIR` was read as `--history-budget DIR`."""

from __future__ import annotations

import pytest

from pytest_streamstress.cli.main import main


def test_a_prefix_of_a_longer_option_is_an_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["publish", "--history", "somewhere", "results"])
    assert ended.value.code == 2
    error = capsys.readouterr().err
    assert "unrecognized arguments: --history" in error
    assert "--history-budget" not in error
