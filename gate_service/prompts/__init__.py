"""Saved prompts: a brand's reusable system prompt, model and sampling settings, applied
to a chat, Responses or Messages request that names one (docs/api.md, "Saved prompts")."""
