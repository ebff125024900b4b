"""Who is calling: token formats, the identity store and the per-request authenticator."""
