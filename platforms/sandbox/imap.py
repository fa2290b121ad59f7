"""A small IMAP4rev1 server for the sandbox's e-mailed login codes.

Enough of RFC 3501 for ``imaplib`` and ordinary mail readers: CAPABILITY, NOOP, LOGIN,
SELECT/EXAMINE, SEARCH (ALL, SEEN, UNSEEN, SINCE, FROM, SUBJECT), FETCH (RFC822, BODY[],
BODY.PEEK[], RFC822.HEADER, FLAGS, UID, INTERNALDATE), STORE (+/-FLAGS), the UID forms of
SEARCH/FETCH/STORE, CLOSE, EXPUNGE (no-op) and LOGOUT. Plain TCP on loopback only.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import logging
import re
import socketserver
import threading
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

logger = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|(\([^)]*\))|(\S+)')
_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}


@dataclasses.dataclass
class StoredMail:
    uid: int
    raw: bytes
    received_at: datetime
    flags: set[str] = dataclasses.field(default_factory=set)

    def header(self, name: str) -> str:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        return str(parsed.get(name, ""))

    def sent_date(self) -> date:
        try:
            return parsedate_to_datetime(self.header("Date")).date()
        except (TypeError, ValueError):
            return self.received_at.date()


class MailStore:
    """Mailboxes by user, each with a password and an INBOX."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.boxes: dict[str, dict[str, Any]] = {}

    def ensure(self, user: str, password: str) -> None:
        with self.lock:
            box = self.boxes.setdefault(user.lower(), {"password": password, "mails": [], "next_uid": 1})
            box["password"] = password

    def deliver(self, user: str, password: str, raw: bytes) -> None:
        self.ensure(user, password)
        with self.lock:
            box = self.boxes[user.lower()]
            box["mails"].append(StoredMail(uid=box["next_uid"], raw=raw, received_at=datetime.now(tz=UTC)))
            box["next_uid"] += 1

    def authenticate(self, user: str, password: str) -> bool:
        with self.lock:
            box = self.boxes.get(user.lower())
            return box is not None and box["password"] == password

    def mails(self, user: str) -> list[StoredMail]:
        with self.lock:
            return list(self.boxes.get(user.lower(), {}).get("mails", []))

    def clear(self) -> None:
        with self.lock:
            self.boxes.clear()


def _tokens(text: str) -> list[str]:
    out = []
    for quoted, group, atom in _TOKEN_RE.findall(text):
        if quoted:
            out.append(quoted.replace('\\"', '"').replace("\\\\", "\\"))
        else:
            out.append(group or atom)
    return out


def _parse_date(text: str) -> date | None:
    match = re.match(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})", text)
    if not match:
        return None
    return date(int(match.group(3)), _MONTHS.get(match.group(2).lower(), 1), int(match.group(1)))


def _seqset(spec: str, size: int) -> list[int]:
    numbers: set[int] = set()
    for part in spec.split(","):
        lo, _, hi = part.partition(":")
        start = size if lo == "*" else int(lo)
        end = start if not hi else (size if hi == "*" else int(hi))
        if start > end:
            start, end = end, start
        numbers.update(n for n in range(start, end + 1) if 1 <= n <= size)
    return sorted(numbers)


class _Handler(socketserver.StreamRequestHandler):
    server: IMAPServer

    def setup(self) -> None:
        super().setup()
        self.user: str | None = None
        self.selected = False
        self.readonly = False

    def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode()
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] lease-bot sandbox IMAP ready")
        while True:
            try:
                raw = self.rfile.readline(65536)
            except OSError:
                return
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            tag, _, rest = line.partition(" ")
            command, _, args = rest.partition(" ")
            try:
                if not self.dispatch(tag, command.upper(), args):
                    return
            except Exception:
                logger.exception("imap: command failed")
                self.send(f"{tag} BAD command failed")

    def dispatch(self, tag: str, command: str, args: str) -> bool:
        uid_mode = False
        if command == "UID":
            uid_mode = True
            command, _, args = args.partition(" ")
            command = command.upper()
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
            self.send(f"{tag} OK CAPABILITY completed")
        elif command == "NOOP":
            self.send(f"{tag} OK NOOP completed")
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif command == "LOGIN":
            parts = _tokens(args)
            if len(parts) == 2 and self.server.store.authenticate(parts[0], parts[1]):
                self.user = parts[0]
                self.send(f"{tag} OK LOGIN completed")
            else:
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
        elif self.user is None:
            self.send(f"{tag} NO not authenticated")
        elif command in {"SELECT", "EXAMINE"}:
            mails = self.server.store.mails(self.user)
            self.selected, self.readonly = True, command == "EXAMINE"
            self.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
            self.send(f"* {len(mails)} EXISTS")
            self.send("* 0 RECENT")
            self.send("* OK [UIDVALIDITY 1] UIDs valid")
            next_uid = (mails[-1].uid + 1) if mails else 1
            self.send(f"* OK [UIDNEXT {next_uid}] predicted next UID")
            self.send(f"{tag} OK [{'READ-ONLY' if self.readonly else 'READ-WRITE'}] {command} completed")
        elif not self.selected:
            self.send(f"{tag} NO no mailbox selected")
        elif command == "SEARCH":
            self.search(tag, args, uid_mode)
        elif command == "FETCH":
            self.fetch(tag, args, uid_mode)
        elif command == "STORE":
            self.store(tag, args, uid_mode)
        elif command in {"CLOSE", "EXPUNGE", "CHECK"}:
            self.send(f"{tag} OK {command} completed")
        else:
            self.send(f"{tag} BAD unknown command {command}")
        return True

    def _mails(self) -> list[StoredMail]:
        return self.server.store.mails(self.user or "")

    def _pick(self, spec: str, uid_mode: bool) -> list[tuple[int, StoredMail]]:
        mails = self._mails()
        if uid_mode:
            uids = {m.uid for m in mails}
            top = max(uids) if uids else 0
            wanted = set(_seqset(spec.replace("*", str(top)), top)) if top else set()
            return [(i + 1, m) for i, m in enumerate(mails) if m.uid in wanted]
        return [(n, mails[n - 1]) for n in _seqset(spec, len(mails))]

    def search(self, tag: str, args: str, uid_mode: bool) -> None:
        criteria = _tokens(args)
        if criteria and criteria[0].upper() == "CHARSET":
            criteria = criteria[2:]
        hits = []
        for n, mail in enumerate(self._mails(), 1):
            ok = True
            i = 0
            while i < len(criteria):
                key = criteria[i].upper().strip("()")
                if key in {"ALL", ""}:
                    pass
                elif key == "UNSEEN":
                    ok &= "\\Seen" not in mail.flags
                elif key == "SEEN":
                    ok &= "\\Seen" in mail.flags
                elif key in {"SINCE", "SENTSINCE"} and i + 1 < len(criteria):
                    i += 1
                    when = _parse_date(criteria[i])
                    ok &= when is None or mail.sent_date() >= when
                elif key in {"FROM", "SUBJECT", "TO"} and i + 1 < len(criteria):
                    i += 1
                    ok &= criteria[i].lower() in mail.header(key.title()).lower()
                i += 1
            if ok:
                hits.append(str(mail.uid if uid_mode else n))
        self.send("* SEARCH" + ("" if not hits else " " + " ".join(hits)))
        self.send(f"{tag} OK SEARCH completed")

    def fetch(self, tag: str, args: str, uid_mode: bool) -> None:
        spec, _, items = args.partition(" ")
        wanted = items.upper().strip("()").split()
        for n, mail in self._pick(spec, uid_mode):
            parts: list[bytes] = []
            if uid_mode or "UID" in wanted:
                parts.append(f"UID {mail.uid}".encode())
            literal: tuple[str, bytes] | None = None
            for item in wanted:
                if item in {"RFC822", "BODY[]"}:
                    literal = (item, mail.raw)
                    if not self.readonly:
                        mail.flags.add("\\Seen")
                elif item == "BODY.PEEK[]":
                    literal = ("BODY[]", mail.raw)
                elif item in {"RFC822.HEADER", "BODY.PEEK[HEADER]", "BODY[HEADER]"}:
                    head = (
                        mail.raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in mail.raw else mail.raw.split(b"\n\n", 1)[0]
                    )
                    literal = ("RFC822.HEADER" if item == "RFC822.HEADER" else "BODY[HEADER]", head + b"\r\n\r\n")
                elif item == "INTERNALDATE":
                    parts.append(f'INTERNALDATE "{mail.received_at.strftime("%d-%b-%Y %H:%M:%S +0000")}"'.encode())
            if "FLAGS" in wanted or literal is not None:
                parts.append(f"FLAGS ({' '.join(sorted(mail.flags))})".encode())
            head_line = f"* {n} FETCH (".encode() + b" ".join(parts)
            if literal is not None:
                name, data = literal
                self.wfile.write(
                    head_line + (b" " if parts else b"") + f"{name} {{{len(data)}}}\r\n".encode() + data + b")\r\n"
                )
            else:
                self.send(head_line + b")")
        self.send(f"{tag} OK FETCH completed")

    def store(self, tag: str, args: str, uid_mode: bool) -> None:
        spec, _, rest = args.partition(" ")
        action, _, flags_text = rest.partition(" ")
        flags = set(flags_text.strip("()").split())
        silent = action.upper().endswith(".SILENT")
        for n, mail in self._pick(spec, uid_mode):
            if action.startswith("+"):
                mail.flags |= flags
            elif action.startswith("-"):
                mail.flags -= flags
            else:
                mail.flags = set(flags)
            if not silent:
                self.send(f"* {n} FETCH (FLAGS ({' '.join(sorted(mail.flags))}))")
        self.send(f"{tag} OK STORE completed")


class IMAPServer(socketserver.ThreadingTCPServer):
    """Threaded IMAP server over a :class:`MailStore`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], store: MailStore) -> None:
        self.store = store
        super().__init__(address, _Handler)
