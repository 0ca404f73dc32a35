# The API personas (authority officer, partner A's alice and bob, partner B's charlie).
from tests.api.conftest import *  # noqa: F403
