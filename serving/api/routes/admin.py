"""Reload the champion model without a restart (also on SIGHUP)."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(prefix="/admin", tags=["operations"])


@router.post("/reload-model")
async def reload_model(request: Request) -> dict[str, str | None]:
    """Load the model that now carries the champion alias and swap it in; in-flight requests finish first."""
    previous, current = await request.app.state.reload_model()
    return {"previous_version": previous, "current_version": current}
