"""The LDAP boundary: TLS, binding, paged searches that survive a dropped connection.

Every ldap3 exception stops here and becomes a :class:`SourceError`, so the run
marks the source failed (exit 3) instead of crashing or, worse, evaluating a
half-read directory as if it were whole.

A paged-results cookie belongs to the connection that issued it, so after a
drop the search is started again on a fresh connection and the entries already
handed out are skipped by DN: the caller sees every entry exactly once.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ldap3
from ldap3.core import exceptions as lx
from ldap3.utils.conv import escape_filter_chars

from connectors.ad.mapping import Raw
from connectors.ad.prefetch import prefetched
from connectors.ad.settings import Settings
from enforcer.model.errors import SourceError

log = logging.getLogger(__name__)

PAGED_OID = "1.2.840.113556.1.4.319"
IN_CHAIN = "1.2.840.113556.1.4.1941"

_RETRYABLE = (
    lx.LDAPSocketReceiveError,
    lx.LDAPSocketSendError,
    lx.LDAPSessionTerminatedByServerError,
    lx.LDAPSocketOpenError,
    lx.LDAPResponseTimeoutError,
    lx.LDAPSocketCloseError,
)


def escape(value: str) -> str:
    """RFC 4515 escaping for a value placed in a filter (``*``, ``(``, ``)``, ``\\``, NUL)."""
    escaped: str = escape_filter_chars(value)  # ldap3 ships no types
    return escaped


def escape_bytes(value: bytes) -> str:
    """A binary value (objectGUID) as ``\\xx`` escapes for a filter."""
    return "".join(f"\\{b:02x}" for b in value)


class _KeepRaw(dict[str, Any]):
    """An ldap3 custom-formatter table that claims every attribute and leaves its values as bytes.

    Why: the mapping decodes ``raw_attributes`` itself, so ldap3's own per-value unicode
    formatting of ``attributes`` is wasted work (about a tenth of the read time at 50,000 users).
    """

    def __contains__(self, name: object) -> bool:
        return True

    def __getitem__(self, name: object) -> Any:
        return _identity


def _identity(value: bytes) -> bytes:
    return value


_KEEP_RAW = _KeepRaw(objectGUID=_identity)  # non-empty: ldap3 ignores a falsy table


@dataclass(frozen=True, slots=True)
class Entry:
    dn: str
    raw: Raw


class NotVisible(SourceError):
    """The search base does not exist or the bind account may not see it."""


class Client:
    """One bound connection to a DC, reopened on demand."""

    def __init__(self, settings: Settings, bind_dn: str, password: str, ca_file: str | None) -> None:
        self.settings = settings
        self._bind_dn = bind_dn
        self._password = password
        self._ca_file = ca_file
        self._conn: ldap3.Connection | None = None
        if settings.tls == "none":
            log.warning(
                "AD source %s: plain LDAP (tls: none) sends the bind password and the directory "
                "in clear; use ldaps or starttls",
                settings.host,
            )

    # -- connection -------------------------------------------------------------------------
    def _server(self) -> ldap3.Server:
        s = self.settings
        tls = None
        if s.tls != "none":
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED, ca_certs_file=self._ca_file, version=ssl.PROTOCOL_TLS_CLIENT
            )
        return ldap3.Server(
            s.host,
            port=s.effective_port,
            use_ssl=s.tls == "ldaps",
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=s.connect_timeout,
            formatter=_KEEP_RAW,
        )

    def _open(self) -> ldap3.Connection:
        s = self.settings
        conn = ldap3.Connection(
            self._server(),
            user=self._bind_dn,
            password=self._password,
            authentication=ldap3.SIMPLE,
            auto_referrals=False,
            raise_exceptions=True,
            receive_timeout=s.read_timeout,
            read_only=False,
            return_empty_attributes=False,
        )
        try:
            conn.open()
            if s.tls == "starttls":
                conn.start_tls()
            conn.bind()
        except lx.LDAPException:
            _quietly_close(conn)
            raise
        return conn

    def connection(self) -> ldap3.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self._retrying(self._open, "connect")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            _quietly_close(self._conn)
            self._conn = None

    def _retrying(self, op: Any, what: str) -> Any:
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return op()
            except lx.LDAPInvalidCredentialsResult:
                raise SourceError(f"AD {self.settings.host}: bind refused (invalid credentials)") from None
            except _RETRYABLE as exc:
                if isinstance(exc, (ssl.SSLCertVerificationError, lx.LDAPCertificateError)):  # does not heal
                    raise SourceError(f"AD {self.settings.host}: TLS failed: {_reason(exc)}") from None
                self._conn = None
                if attempt == attempts:
                    raise SourceError(
                        f"AD {self.settings.host}: {what} failed after {attempts} attempts: {_reason(exc)}"
                    ) from None
                log.warning(
                    "AD %s: %s failed (%s); retrying (%d/%d)",
                    self.settings.host,
                    what,
                    _reason(exc),
                    attempt,
                    attempts - 1,
                )
                time.sleep(self.settings.retry_delay)
            except lx.LDAPException as exc:
                raise SourceError(f"AD {self.settings.host}: {what} failed: {_reason(exc)}") from None
        raise AssertionError("unreachable")

    # -- reading ----------------------------------------------------------------------------
    def root_dse(self) -> Raw:
        entries = list(
            self.search(
                "", "(objectClass=*)", ["defaultNamingContext", "dnsHostName"], scope=ldap3.BASE, paged=False
            )
        )
        if not entries:
            raise SourceError(f"AD {self.settings.host}: the rootDSE is not readable")
        return entries[0].raw

    def first(
        self, base: str, flt: str, attributes: Sequence[str] = (), scope: str = ldap3.SUBTREE
    ) -> Entry | None:
        """One matching entry or None: a probe for ``config check`` that asks the DC for one entry
        (size limit 1, which ldap3 reports as success), not for the whole directory."""
        return next(self._resuming(base, flt, attributes, scope, paged=False, size_limit=1), None)

    def search(
        self,
        base: str,
        flt: str,
        attributes: Sequence[str],
        scope: str = ldap3.SUBTREE,
        paged: bool = True,
        prefetch: bool = False,
    ) -> Iterator[Entry]:
        """Yield every entry once, resuming after a drop; referrals are skipped.

        ``prefetch`` reads the next page in a worker thread while the caller handles this one;
        the caller must not use this client for anything else until the search is finished.
        """
        entries = self._resuming(base, flt, attributes, scope, paged)
        if prefetch:
            return prefetched(
                entries,
                batch=self.settings.page_size,
                join_timeout=self.settings.read_timeout + self.settings.connect_timeout,
            )
        return entries

    def _resuming(
        self, base: str, flt: str, attributes: Sequence[str], scope: str, paged: bool, size_limit: int = 0
    ) -> Iterator[Entry]:
        """The search itself (see ``search``).

        ``retries`` counts consecutive failures without progress: a drop after new entries
        arrived starts the count again, a DC that stays away fails the source.
        """
        seen: set[str] = set()
        failures = 0
        while True:
            before = len(seen)
            try:
                yield from self._search_once(base, flt, attributes, scope, paged, seen, size_limit)
                return
            except (lx.LDAPNoSuchObjectResult, lx.LDAPInsufficientAccessRightsResult) as exc:
                raise NotVisible(
                    f"AD {self.settings.host}: {base!r} is not visible: {_reason(exc)}"
                ) from None
            except _RETRYABLE as exc:
                self._conn = None
                failures = 1 if len(seen) > before else failures + 1
                if failures > self.settings.retries:
                    raise SourceError(
                        f"AD {self.settings.host}: search under {base!r} failed after "
                        f"{failures} attempts: {_reason(exc)}"
                    ) from None
                log.warning(
                    "AD %s: connection lost during a search (%s); resuming (%d/%d)",
                    self.settings.host,
                    _reason(exc),
                    failures,
                    self.settings.retries,
                )
                time.sleep(self.settings.retry_delay)
            except lx.LDAPException as exc:
                raise SourceError(
                    f"AD {self.settings.host}: search under {base!r} failed: {_reason(exc)}"
                ) from None

    def _search_once(
        self,
        base: str,
        flt: str,
        attributes: Sequence[str],
        scope: str,
        paged: bool,
        seen: set[str],
        size_limit: int = 0,
    ) -> Iterator[Entry]:
        conn = self.connection()
        cookie: bytes | None = None
        while True:
            conn.search(
                base,
                flt,
                search_scope=scope,
                attributes=list(attributes) or [ldap3.NO_ATTRIBUTES],
                paged_size=self.settings.page_size if paged else None,
                paged_cookie=cookie,
                size_limit=size_limit,
            )
            page = conn.response or []
            controls = (conn.result or {}).get("controls") or {}
            for item in page:
                if item.get("type") != "searchResEntry":
                    continue
                dn = item["dn"]
                if dn in seen:
                    continue
                seen.add(dn)
                raw = {k.lower(): v for k, v in item["raw_attributes"].items()}
                yield Entry(dn, raw)
            cookie = controls.get(PAGED_OID, {}).get("value", {}).get("cookie") if paged else None
            if not cookie:
                return

    def in_chain_members(self, base: str, group_dn: str, object_filter: str) -> set[str]:
        """DNs of objects that are members of ``group_dn`` directly or through nested groups."""
        flt = f"(&{object_filter}(memberOf:{IN_CHAIN}:={escape(group_dn)}))"
        return {e.dn.casefold() for e in self.search(base, flt, [])}

    # -- writing ----------------------------------------------------------------------------
    def modify(self, dn: str, changes: dict[str, list[tuple[str, list[Any]]]]) -> None:
        conn = self.connection()
        try:
            conn.modify(dn, changes)
        except lx.LDAPException as exc:
            if isinstance(exc, _RETRYABLE):
                self._conn = None
            raise SourceError(f"AD {self.settings.host}: change to {dn!r} failed: {_reason(exc)}") from None


def _quietly_close(conn: ldap3.Connection) -> None:
    """Closing a connection that already failed may fail too; the first error is the one to report."""
    try:
        conn.unbind()
    except lx.LDAPException:
        log.debug("closing a failed LDAP connection failed too", exc_info=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, lx.LDAPOperationResult):
        return f"{exc.description or 'error'} ({exc.result}){': ' + exc.message if exc.message else ''}"
    return str(exc.args[0] if exc.args else exc).strip("()',\"")
