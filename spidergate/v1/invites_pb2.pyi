from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InviteStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVITE_STATUS_UNSPECIFIED: _ClassVar[InviteStatus]
    INVITE_STATUS_PENDING: _ClassVar[InviteStatus]
    INVITE_STATUS_USED: _ClassVar[InviteStatus]
    INVITE_STATUS_EXPIRED: _ClassVar[InviteStatus]
    INVITE_STATUS_REVOKED: _ClassVar[InviteStatus]

class MailStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MAIL_STATUS_UNSPECIFIED: _ClassVar[MailStatus]
    MAIL_STATUS_QUEUED: _ClassVar[MailStatus]
    MAIL_STATUS_SENT: _ClassVar[MailStatus]
    MAIL_STATUS_FAILED: _ClassVar[MailStatus]
    MAIL_STATUS_CANCELLED: _ClassVar[MailStatus]
INVITE_STATUS_UNSPECIFIED: InviteStatus
INVITE_STATUS_PENDING: InviteStatus
INVITE_STATUS_USED: InviteStatus
INVITE_STATUS_EXPIRED: InviteStatus
INVITE_STATUS_REVOKED: InviteStatus
MAIL_STATUS_UNSPECIFIED: MailStatus
MAIL_STATUS_QUEUED: MailStatus
MAIL_STATUS_SENT: MailStatus
MAIL_STATUS_FAILED: MailStatus
MAIL_STATUS_CANCELLED: MailStatus

class Invite(_message.Message):
    __slots__ = ("id", "email", "provider", "message", "base_url", "label", "status", "revoked_by", "mail_status", "mail_attempts", "mail_error", "created_at", "expires_at", "used_at", "revoked_at", "mail_sent_at", "key_id", "key_preview")
    ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REVOKED_BY_FIELD_NUMBER: _ClassVar[int]
    MAIL_STATUS_FIELD_NUMBER: _ClassVar[int]
    MAIL_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MAIL_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    USED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    MAIL_SENT_AT_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    id: str
    email: str
    provider: str
    message: str
    base_url: str
    label: str
    status: InviteStatus
    revoked_by: str
    mail_status: MailStatus
    mail_attempts: int
    mail_error: str
    created_at: int
    expires_at: int
    used_at: int
    revoked_at: int
    mail_sent_at: int
    key_id: str
    key_preview: str
    def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., provider: _Optional[str] = ..., message: _Optional[str] = ..., base_url: _Optional[str] = ..., label: _Optional[str] = ..., status: _Optional[_Union[InviteStatus, str]] = ..., revoked_by: _Optional[str] = ..., mail_status: _Optional[_Union[MailStatus, str]] = ..., mail_attempts: _Optional[int] = ..., mail_error: _Optional[str] = ..., created_at: _Optional[int] = ..., expires_at: _Optional[int] = ..., used_at: _Optional[int] = ..., revoked_at: _Optional[int] = ..., mail_sent_at: _Optional[int] = ..., key_id: _Optional[str] = ..., key_preview: _Optional[str] = ...) -> None: ...

class CreateInviteRequest(_message.Message):
    __slots__ = ("email", "provider", "message", "base_url", "label", "raw_body")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    email: str
    provider: str
    message: str
    base_url: str
    label: str
    raw_body: bytes
    def __init__(self, email: _Optional[str] = ..., provider: _Optional[str] = ..., message: _Optional[str] = ..., base_url: _Optional[str] = ..., label: _Optional[str] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class CreateInviteResponse(_message.Message):
    __slots__ = ("invite",)
    INVITE_FIELD_NUMBER: _ClassVar[int]
    invite: Invite
    def __init__(self, invite: _Optional[_Union[Invite, _Mapping]] = ...) -> None: ...

class ListInvitesRequest(_message.Message):
    __slots__ = ("status", "raw_query")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    status: InviteStatus
    raw_query: str
    def __init__(self, status: _Optional[_Union[InviteStatus, str]] = ..., raw_query: _Optional[str] = ...) -> None: ...

class ListInvitesResponse(_message.Message):
    __slots__ = ("invites",)
    INVITES_FIELD_NUMBER: _ClassVar[int]
    invites: _containers.RepeatedCompositeFieldContainer[Invite]
    def __init__(self, invites: _Optional[_Iterable[_Union[Invite, _Mapping]]] = ...) -> None: ...

class WithdrawInviteRequest(_message.Message):
    __slots__ = ("invite_id",)
    INVITE_ID_FIELD_NUMBER: _ClassVar[int]
    invite_id: str
    def __init__(self, invite_id: _Optional[str] = ...) -> None: ...

class WithdrawInviteResponse(_message.Message):
    __slots__ = ("invite",)
    INVITE_FIELD_NUMBER: _ClassVar[int]
    invite: Invite
    def __init__(self, invite: _Optional[_Union[Invite, _Mapping]] = ...) -> None: ...

class OpenInviteRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class OpenInviteResponse(_message.Message):
    __slots__ = ("brand_name", "provider", "provider_name", "message", "email", "expires_at")
    BRAND_NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    brand_name: str
    provider: str
    provider_name: str
    message: str
    email: str
    expires_at: int
    def __init__(self, brand_name: _Optional[str] = ..., provider: _Optional[str] = ..., provider_name: _Optional[str] = ..., message: _Optional[str] = ..., email: _Optional[str] = ..., expires_at: _Optional[int] = ...) -> None: ...

class AcceptInviteRequest(_message.Message):
    __slots__ = ("token", "secret")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    token: str
    secret: str
    def __init__(self, token: _Optional[str] = ..., secret: _Optional[str] = ...) -> None: ...

class AcceptInviteResponse(_message.Message):
    __slots__ = ("provider", "key_preview", "revoke_token", "brand_name", "provider_name")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    KEY_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    BRAND_NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_NAME_FIELD_NUMBER: _ClassVar[int]
    provider: str
    key_preview: str
    revoke_token: str
    brand_name: str
    provider_name: str
    def __init__(self, provider: _Optional[str] = ..., key_preview: _Optional[str] = ..., revoke_token: _Optional[str] = ..., brand_name: _Optional[str] = ..., provider_name: _Optional[str] = ...) -> None: ...

class RevokeContributionRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class RevokeContributionResponse(_message.Message):
    __slots__ = ("provider", "key_preview", "brand_name", "provider_name")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    KEY_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    BRAND_NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_NAME_FIELD_NUMBER: _ClassVar[int]
    provider: str
    key_preview: str
    brand_name: str
    provider_name: str
    def __init__(self, provider: _Optional[str] = ..., key_preview: _Optional[str] = ..., brand_name: _Optional[str] = ..., provider_name: _Optional[str] = ...) -> None: ...
