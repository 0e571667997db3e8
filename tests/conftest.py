import os

import pytest

# Keep the suite's CPU use predictable on the 2-core CI machine.
os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(autouse=True, scope='session')
def _register_modules():
    from scaletrack.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    yield
