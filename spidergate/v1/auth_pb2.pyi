from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthenticateRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class Principal(_message.Message):
    __slots__ = ("client_id", "brand_name", "token_id", "agent_name", "scopes", "kind")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    BRAND_NAME_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    brand_name: str
    token_id: str
    agent_name: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    kind: str
    def __init__(self, client_id: _Optional[str] = ..., brand_name: _Optional[str] = ..., token_id: _Optional[str] = ..., agent_name: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., kind: _Optional[str] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("principal", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    principal: Principal
    headers: _containers.ScalarMap[str, str]
    def __init__(self, principal: _Optional[_Union[Principal, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateBrandRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class Brand(_message.Message):
    __slots__ = ("client_id", "name", "created")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    name: str
    created: int
    def __init__(self, client_id: _Optional[str] = ..., name: _Optional[str] = ..., created: _Optional[int] = ...) -> None: ...

class ClientCredential(_message.Message):
    __slots__ = ("client_id", "api_key", "token", "created")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    api_key: str
    token: str
    created: int
    def __init__(self, client_id: _Optional[str] = ..., api_key: _Optional[str] = ..., token: _Optional[str] = ..., created: _Optional[int] = ...) -> None: ...

class CreateBrandResponse(_message.Message):
    __slots__ = ("brand", "credential")
    BRAND_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    brand: Brand
    credential: ClientCredential
    def __init__(self, brand: _Optional[_Union[Brand, _Mapping]] = ..., credential: _Optional[_Union[ClientCredential, _Mapping]] = ...) -> None: ...

class CreateClientCredentialRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateClientCredentialResponse(_message.Message):
    __slots__ = ("credential",)
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    credential: ClientCredential
    def __init__(self, credential: _Optional[_Union[ClientCredential, _Mapping]] = ...) -> None: ...

class AgentToken(_message.Message):
    __slots__ = ("id", "client_id", "name", "scopes", "prefix", "created", "revoked", "token", "controls")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONTROLS_FIELD_NUMBER: _ClassVar[int]
    id: str
    client_id: str
    name: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    prefix: str
    created: int
    revoked: int
    token: str
    controls: TokenControls
    def __init__(self, id: _Optional[str] = ..., client_id: _Optional[str] = ..., name: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., prefix: _Optional[str] = ..., created: _Optional[int] = ..., revoked: _Optional[int] = ..., token: _Optional[str] = ..., controls: _Optional[_Union[TokenControls, _Mapping]] = ...) -> None: ...

class TokenControls(_message.Message):
    __slots__ = ("rpm", "rpd", "budget_usd", "budget_mode", "allowed_models", "free_only", "capture")
    RPM_FIELD_NUMBER: _ClassVar[int]
    RPD_FIELD_NUMBER: _ClassVar[int]
    BUDGET_USD_FIELD_NUMBER: _ClassVar[int]
    BUDGET_MODE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    FREE_ONLY_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_FIELD_NUMBER: _ClassVar[int]
    rpm: int
    rpd: int
    budget_usd: float
    budget_mode: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    free_only: bool
    capture: bool
    def __init__(self, rpm: _Optional[int] = ..., rpd: _Optional[int] = ..., budget_usd: _Optional[float] = ..., budget_mode: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ..., free_only: _Optional[bool] = ..., capture: _Optional[bool] = ...) -> None: ...

class MintAgentTokenRequest(_message.Message):
    __slots__ = ("name", "scopes", "controls")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    CONTROLS_FIELD_NUMBER: _ClassVar[int]
    name: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    controls: TokenControls
    def __init__(self, name: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., controls: _Optional[_Union[TokenControls, _Mapping]] = ...) -> None: ...

class MintAgentTokenResponse(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: AgentToken
    def __init__(self, token: _Optional[_Union[AgentToken, _Mapping]] = ...) -> None: ...

class ListAgentTokensRequest(_message.Message):
    __slots__ = ("include_revoked",)
    INCLUDE_REVOKED_FIELD_NUMBER: _ClassVar[int]
    include_revoked: bool
    def __init__(self, include_revoked: _Optional[bool] = ...) -> None: ...

class ListAgentTokensResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[AgentToken]
    def __init__(self, tokens: _Optional[_Iterable[_Union[AgentToken, _Mapping]]] = ...) -> None: ...

class RevokeAgentTokenRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class RevokeAgentTokenResponse(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: AgentToken
    def __init__(self, token: _Optional[_Union[AgentToken, _Mapping]] = ...) -> None: ...

class UpdateAgentTokenRequest(_message.Message):
    __slots__ = ("id", "controls", "scopes", "update_mask")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTROLS_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    id: str
    controls: TokenControls
    scopes: _containers.RepeatedScalarFieldContainer[str]
    update_mask: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., controls: _Optional[_Union[TokenControls, _Mapping]] = ..., scopes: _Optional[_Iterable[str]] = ..., update_mask: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateAgentTokenResponse(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: AgentToken
    def __init__(self, token: _Optional[_Union[AgentToken, _Mapping]] = ...) -> None: ...
