"""Access tokens: only unexpired RS256 tokens from our issuer, signed by one of our keys, pass."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from renkei.errors import Unauthenticated
from renkei.identity.tokens import TokenService, generate_key

ISSUER = "http://renkei.test"
SCOPES = frozenset({"profile"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json_b64(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": ISSUER,
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


def _signed(key: RSAKey, claims: dict[str, Any], typ: str | None = "at+jwt") -> str:
    header = {"alg": "RS256", "kid": key.kid}
    if typ is not None:
        header["typ"] = typ
    return jwt.encode(header, claims, key)


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return generate_key()


@pytest.fixture
def service(key: RSAKey) -> TokenService:
    return TokenService(KeySet([key]), issuer=ISSUER)


def test_a_token_signed_by_our_key_for_our_issuer_passes(service, key):
    # given
    claims = _claims(org=str(uuid.uuid4()), scope="profile projects:read")
    # when
    verified = service.verify(_signed(key, claims))
    # then
    assert verified.user_id == uuid.UUID(claims["sub"])
    assert verified.organization_id == uuid.UUID(claims["org"])
    assert verified.scopes == {"profile", "projects:read"}
    assert verified.expires_at == claims["exp"]


def test_an_issued_token_passes(service):
    # given
    user_id = uuid.uuid4()
    # when
    verified = service.verify(service.issue(user_id=user_id, organization_id=None, scopes=SCOPES))
    # then
    assert (verified.user_id, verified.organization_id, verified.scopes) == (user_id, None, SCOPES)


def test_an_expired_token_is_refused(service, key):
    # given: expired longer ago than the 30 seconds of leeway
    now = int(time.time())
    token = _signed(key, _claims(iat=now - 3600, exp=now - 60))
    # then
    with pytest.raises(Unauthenticated):
        service.verify(token)


def test_a_token_from_another_issuer_is_refused(service, key):
    # given
    other = TokenService(KeySet([key]), issuer="https://elsewhere.example")
    token = other.issue(user_id=uuid.uuid4(), organization_id=None, scopes=SCOPES)
    # then
    with pytest.raises(Unauthenticated):
        service.verify(token)


@pytest.mark.parametrize("missing", ["iss", "aud", "sub", "exp"])
def test_a_token_without_an_essential_claim_is_refused(service, key, missing):
    # given
    claims = _claims()
    del claims[missing]
    # then
    with pytest.raises(Unauthenticated):
        service.verify(_signed(key, claims))


@pytest.mark.parametrize("typ", ["application/at+jwt", "AT+JWT"])
def test_the_access_token_type_may_be_written_in_full(service, key, typ):
    # RFC 7515 §4.1.9: "application/" may be left out, and media types ignore case
    assert service.verify(_signed(key, _claims(), typ=typ)).scopes == frozenset()


@pytest.mark.parametrize("typ", [None, "JWT", "id_token+jwt", "logout+jwt"])
def test_a_jwt_of_another_type_signed_by_our_key_is_refused(service, key, typ):
    # given: e.g. an ID token or a logout token that our keys signed for another purpose
    token = _signed(key, _claims(), typ=typ)
    # then
    with pytest.raises(Unauthenticated, match="at\\+jwt"):
        service.verify(token)


@pytest.mark.parametrize("audience", ["https://other-api.example", ["https://other.example"]])
def test_a_token_for_another_audience_is_refused(service, key, audience):
    # given
    token = _signed(key, _claims(aud=audience))
    # then
    with pytest.raises(Unauthenticated, match="aud"):
        service.verify(token)


def test_a_token_for_several_audiences_including_ours_passes(service, key):
    assert service.verify(_signed(key, _claims(aud=["https://other.example", ISSUER])))


def test_a_configured_audience_is_issued_and_required(key):
    # given
    api = TokenService(KeySet([key]), issuer=ISSUER, audience="https://api.renkei.example")
    default = TokenService(KeySet([key]), issuer=ISSUER)
    token = api.issue(user_id=uuid.uuid4(), organization_id=None, scopes=SCOPES)
    # then
    assert jwt.decode(token, KeySet([key]), algorithms=["RS256"]).claims["aud"] == (
        "https://api.renkei.example"
    )
    assert api.verify(token).scopes == SCOPES
    with pytest.raises(Unauthenticated):
        default.verify(token)


def test_a_session_token_carries_its_session(service):
    # given
    session_id = uuid.uuid4()
    # when
    token = service.issue(
        user_id=uuid.uuid4(), organization_id=None, scopes=SCOPES, session_id=session_id
    )
    # then
    assert service.verify(token).session_id == session_id
    assert (
        service.verify(
            service.issue(user_id=uuid.uuid4(), organization_id=None, scopes=SCOPES)
        ).session_id
        is None
    )


def test_a_token_signed_by_an_unknown_key_is_refused(service):
    # given
    stranger = TokenService(KeySet([generate_key()]), issuer=ISSUER)
    token = stranger.issue(user_id=uuid.uuid4(), organization_id=None, scopes=SCOPES)
    # then
    with pytest.raises(Unauthenticated):
        service.verify(token)


def test_a_token_claiming_our_key_id_but_signed_by_another_key_is_refused(service, key):
    # given
    forger = generate_key()
    token = jwt.encode({"alg": "RS256", "kid": key.kid}, _claims(), forger)
    # then
    with pytest.raises(Unauthenticated):
        service.verify(token)


def test_an_unsigned_alg_none_token_is_refused(service, key):
    # given
    header = _json_b64({"alg": "none", "typ": "JWT", "kid": key.kid})
    token = f"{header}.{_json_b64(_claims())}."
    # then
    with pytest.raises(Unauthenticated):
        service.verify(token)


def test_an_hs256_token_keyed_with_our_public_key_is_refused(service, key):
    # given: the algorithm-confusion attack, HMAC with the published key as the secret
    signing_input = (
        f"{_json_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{_json_b64(_claims())}"
    )
    tokens = [
        f"{signing_input}.{_b64(hmac.digest(secret, signing_input.encode(), hashlib.sha256))}"
        for secret in (
            key.as_pem(private=False),
            json.dumps(key.as_dict(private=False)).encode(),
        )
    ]
    # then
    for token in tokens:
        with pytest.raises(Unauthenticated):
            service.verify(token)


def test_a_tampered_token_is_refused(service):
    # given
    token = service.issue(user_id=uuid.uuid4(), organization_id=None, scopes=SCOPES)
    header, _, signature = token.split(".")
    payload = _json_b64(_claims(scope="profile admin"))
    # then
    with pytest.raises(Unauthenticated):
        service.verify(f"{header}.{payload}.{signature}")


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c", "....."])
def test_garbage_is_refused(service, garbage):
    with pytest.raises(Unauthenticated):
        service.verify(garbage)


def test_rotation_verifies_the_old_key_and_signs_with_the_new():
    # given
    old, new = generate_key(), generate_key()
    before = TokenService(KeySet([old]), issuer=ISSUER)
    rotated = TokenService(KeySet([new, old]), issuer=ISSUER)
    user_id = uuid.uuid4()
    old_token = before.issue(user_id=user_id, organization_id=None, scopes=SCOPES)
    # when
    new_token = rotated.issue(user_id=user_id, organization_id=None, scopes=SCOPES)
    # then
    assert rotated.verify(old_token).user_id == user_id
    assert rotated.verify(new_token).user_id == user_id
    assert jwt.decode(new_token, KeySet([new]), algorithms=["RS256"]).header["kid"] == new.kid
    with pytest.raises(Unauthenticated):
        before.verify(new_token)
    assert [k["kid"] for k in rotated.jwks()["keys"]] == [new.kid, old.kid]
