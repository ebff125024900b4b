"""Proto ⇄ OpenAI-JSON conversion: the only place besides the servicers and the bridge's
client that touches generated code. The rest of the core works with plain OpenAI-shaped
dicts (the domain representation of chat requests and completions).
"""
