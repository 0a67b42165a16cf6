from __future__ import annotations

from django.db import models


class PeriodicRun(models.Model):
    """A claim on one run of a periodic job: the unique key lets exactly one worker run it."""

    job = models.CharField(max_length=100)
    period_key = models.CharField(max_length=40)
    claimed_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "period_key"], name="periodic_run_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job}@{self.period_key}"


class ConfigGeneration(models.Model):
    """The one row whose value changes with every write to configuration (see configcache);
    database triggers write it, never the application."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    value = models.BigIntegerField()

    def __str__(self) -> str:
        return str(self.value)


class RateHit(models.Model):
    """One counted attempt of a rate limit that must hold across processes, kept in the
    database when no shared cache (Redis) is configured (core/ratelimit.py)."""

    bucket = models.CharField(max_length=250)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["bucket", "at"], name="rate_hit_bucket_time")]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.at}"
