"""Promise: the site builds, strict, with every example executed; and a failed build is reported
once, here, with what went wrong (a failing example names its line in examples/x.py), while the
tests that need the site skip instead of repeating it."""

import pytest

from tests.conftest import build_failure, build_site


def test_the_site_builds(tmp_path_factory):
    _, log = build_site(tmp_path_factory)
    if problem := build_failure(log):
        pytest.fail(problem, pytrace=False)
