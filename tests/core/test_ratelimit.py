"""Rate limits slide with time and are shared: in the database without Redis, in Redis
with it; the per-request API limit estimates from slices."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client

from sladesk.accounts import signin
from sladesk.core import ratelimit
from tests.conftest import World

NEAR_A_BOUNDARY = dt.datetime(2026, 3, 2, 9, 14, 50, tzinfo=dt.UTC)


def test_a_guesser_cannot_double_the_limit_across_a_window_boundary(world: World) -> None:
    email = world.agent1.email
    most = signin.SIGN_IN_OF_ACCOUNT_FROM_ADDRESS.most
    with time_machine.travel(NEAR_A_BOUNDARY, tick=False) as traveller:
        for _attempt in range(most):
            Client().post("/login/", {"username": email, "password": "wrong"})
        traveller.shift(dt.timedelta(seconds=20))  # a fixed window would start afresh here
        refused = Client().post("/login/", {"username": email, "password": "wrong"})
        text = refused.content.decode()
        assert "Too many attempts" in text
        assert "15 minutes" in text  # not "in 1 minute": the window slides
        traveller.shift(dt.timedelta(minutes=14, seconds=40))  # all ten are 15 minutes old
        assert Client().post("/login/", {"username": email, "password": "wrong"}).status_code == 200
        assert (
            "Too many attempts"
            not in Client()
            .post("/login/", {"username": email, "password": "wrong"})
            .content.decode()
        )


@pytest.mark.parametrize("store", ["database", "redis"])
def test_shared_counts_are_exact_and_slide(db: None, settings: object, store: str) -> None:
    if store == "redis":
        settings.SLADESK_REDIS_URL = "redis://127.0.0.1:6379/15"  # type: ignore[attr-defined]
        settings.CACHES = {  # type: ignore[attr-defined]
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/15",
            }
        }
        try:
            caches["default"].get("probe")
        except Exception:  # the service is part of the machine
            pytest.fail("Redis on 127.0.0.1:6379 is not answering")
    bucket = f"test:{uuid.uuid4().hex}"
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        assert [ratelimit.hit(bucket, window=60, shared=True) for _ in range(3)] == [1, 2, 3]
        ratelimit.take_back(bucket, window=60, shared=True)
        traveller.shift(dt.timedelta(seconds=30))
        assert ratelimit.hit(bucket, window=60, shared=True) == 3
        assert ratelimit.wait_for(bucket, window=60, most=3, shared=True) == 30
        traveller.shift(dt.timedelta(seconds=30))  # the first two have left the window
        assert ratelimit.hit(bucket, window=60, shared=True) == 2


def test_the_sliced_estimate_weighs_the_oldest_slice_by_what_is_left_of_it() -> None:
    window = 60  # slices of 4 seconds
    counts = {100: 8, 110: 2}  # slice 100 is [400, 404) s, slice 110 is [440, 444) s
    assert ratelimit.estimate(counts, 441.0, window) == 10  # both inside the last minute
    assert ratelimit.estimate(counts, 462.0, window) == pytest.approx(2 + 8 * 0.5)
    assert ratelimit.estimate(counts, 465.0, window) == 2
