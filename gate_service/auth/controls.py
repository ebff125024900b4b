"""Per-token and per-brand controls: validation, and conversion to and from table rows.

One place checks every value an operator can set (through the CLI or an API), so the
request path can trust what it reads: limits are positive, budgets finite and not
negative, modes ``soft`` or ``hard``, anchor days 1-28 (every month has them).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable

from gate_service import errors
from gate_service.auth.principal import BUDGET_MODES, BrandControls, TokenControls
from gate_service.storage.models import AgentToken, Brand
from gate_service.storage.text import check_storable

# The column holding the allow-list is this long.
ALLOWED_MODELS_MAX_CHARS = 4000
ANCHOR_DAY_MAX = 28
# Content capture bounds: a retention of 1 day to 10 years; a per-message cap of 256
# characters to 1 MiB of text (a record is journaled, so it must stay reasonable).
CAPTURE_RETENTION_MAX_DAYS = 3650
CAPTURE_MAX_CHARS_RANGE = (256, 1_048_576)


class Unset(enum.Enum):
    """Marks an update argument that was not given (None means "clear the limit")."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


def check_limit(value: int | None, param: str) -> int | None:
    """A request limit: None (no limit) or a whole number of at least 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise errors.invalid(f"{param} must be a whole number of at least 1", param)
    return value


def check_budget(value: float | None, param: str = "budget_usd") -> float | None:
    """A monthly budget in USD: None (no cap) or a finite amount of at least 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise errors.invalid(f"{param} must be a number of US dollars", param)
    if not math.isfinite(value) or value < 0:
        raise errors.invalid(f"{param} must be a finite amount of at least 0", param)
    return float(value)


def check_mode(value: str, param: str = "budget_mode") -> str:
    """``soft`` (warn, let through) or ``hard`` (402)."""
    mode = value.strip().lower()
    if mode not in BUDGET_MODES:
        raise errors.invalid(f"{param} must be one of {', '.join(BUDGET_MODES)}", param)
    return mode


def check_anchor_day(value: int, param: str = "billing_anchor_day") -> int:
    """The day budgets reset; at most 28 so that every month has it."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ANCHOR_DAY_MAX:
        raise errors.invalid(f"{param} must be a day of the month from 1 to 28", param)
    return value


def check_models(values: Iterable[str], param: str = "allowed_models") -> frozenset[str]:
    """Aliases and model ids, deduplicated; empty means every model."""
    models = frozenset(check_storable(v.strip(), param) for v in values if v.strip())
    for model in models:
        if any(c.isspace() for c in model):
            raise errors.invalid(f"model id '{model}' contains white space", param)
    if len(join_models(models)) > ALLOWED_MODELS_MAX_CHARS:
        raise errors.invalid(f"{param} is longer than {ALLOWED_MODELS_MAX_CHARS} characters", param)
    return models


def check_retention_days(value: int, param: str = "capture_retention_days") -> int:
    """How long captured messages are kept: a whole number of days, 1 to 3650."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= CAPTURE_RETENTION_MAX_DAYS
    ):
        raise errors.invalid(
            f"{param} must be a whole number of days from 1 to {CAPTURE_RETENTION_MAX_DAYS}", param
        )
    return value


def check_max_chars(value: int, param: str = "capture_max_chars") -> int:
    """The size cap of one captured message, in characters."""
    lo, hi = CAPTURE_MAX_CHARS_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise errors.invalid(f"{param} must be a whole number from {lo} to {hi}", param)
    return value


def check_token_controls(controls: TokenControls) -> TokenControls:
    """The same controls, every field validated (raises 400 ``invalid_request``)."""
    return TokenControls(
        rpm=check_limit(controls.rpm, "rpm"),
        rpd=check_limit(controls.rpd, "rpd"),
        budget_usd=check_budget(controls.budget_usd),
        budget_mode=check_mode(controls.budget_mode),
        allowed_models=check_models(controls.allowed_models),
        free_only=bool(controls.free_only),
        capture=None if controls.capture is None else bool(controls.capture),
    )


def merge_token_controls(
    current: TokenControls,
    *,
    rpm: int | Unset | None = UNSET,
    rpd: int | Unset | None = UNSET,
    budget_usd: float | Unset | None = UNSET,
    budget_mode: str | Unset = UNSET,
    allowed_models: Iterable[str] | Unset = UNSET,
    free_only: bool | Unset = UNSET,
    capture: bool | Unset | None = UNSET,
) -> TokenControls:
    """``current`` with the given fields replaced, validated; ``UNSET`` keeps a field."""
    return check_token_controls(
        TokenControls(
            rpm=current.rpm if isinstance(rpm, Unset) else rpm,
            rpd=current.rpd if isinstance(rpd, Unset) else rpd,
            budget_usd=current.budget_usd if isinstance(budget_usd, Unset) else budget_usd,
            budget_mode=current.budget_mode if isinstance(budget_mode, Unset) else budget_mode,
            allowed_models=(
                current.allowed_models
                if isinstance(allowed_models, Unset)
                else frozenset(allowed_models)
            ),
            free_only=current.free_only if isinstance(free_only, Unset) else free_only,
            capture=current.capture if isinstance(capture, Unset) else capture,
        )
    )


def join_models(models: Iterable[str]) -> str:
    """The allow-list as stored: sorted, space-separated."""
    return " ".join(sorted(models))


def token_controls(row: AgentToken) -> TokenControls:
    """The controls stored on an agent token row."""
    return TokenControls(
        rpm=row.rpm_limit,
        rpd=row.rpd_limit,
        budget_usd=row.budget_usd,
        budget_mode=row.budget_mode,
        allowed_models=frozenset(row.allowed_models.split()),
        free_only=row.free_only,
        capture=row.capture,
    )


def apply_token_controls(row: AgentToken, controls: TokenControls) -> None:
    """Write validated controls onto an agent token row."""
    row.rpm_limit = controls.rpm
    row.rpd_limit = controls.rpd
    row.budget_usd = controls.budget_usd
    row.budget_mode = controls.budget_mode
    row.allowed_models = join_models(controls.allowed_models)
    row.free_only = controls.free_only
    row.capture = controls.capture


def brand_controls(row: Brand) -> BrandControls:
    """The budget settings stored on a brand row."""
    return BrandControls(
        budget_usd=row.budget_usd,
        budget_mode=row.budget_mode,
        billing_anchor_day=row.billing_anchor_day,
        capture_enabled=row.capture_enabled,
        capture_retention_days=row.capture_retention_days,
        capture_max_chars=row.capture_max_chars,
    )
