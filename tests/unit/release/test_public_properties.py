"""Properties of check_public on random input: it never crashes, an absolute path embedded in any text is
always flagged, and a private IPv4 address is flagged in every spelling a resolver accepts."""

from __future__ import annotations

import ipaddress
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from ophin.release.public import check_public, public_url

_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9._-]{0,11}", fullmatch=True)
_BLANK = st.sampled_from([" ", "\n", "\t", "  "])


@st.composite
def absolute_paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(_NAME, min_size=1, max_size=5))
    kind = draw(st.sampled_from(["posix", "posix_dir", "windows", "windows_slash", "unc", "file", "home"]))
    if kind == "posix":
        if len(segments) == 1:  # one segment alone is a path only at a root folder ("/opt")
            segments = [draw(st.sampled_from(["srv", "opt", "data", "etc", "var", "tmp", "home"]))]
        return "/" + "/".join(segments)
    if kind == "posix_dir":
        return "/" + "/".join(segments) + "/"
    if kind in ("windows", "windows_slash"):
        sep = "\\" if kind == "windows" else "/"
        return draw(st.sampled_from(string.ascii_letters)) + ":" + sep + sep.join(segments)
    if kind == "unc":
        return "\\\\" + "\\".join([draw(_NAME), *segments])
    if kind == "file":
        return "file://" + "/" + "/".join(segments)
    return "~/" + "/".join(segments)


_PRIVATE_NETS = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
    )
]


@st.composite
def private_ipv4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    net = draw(st.sampled_from(_PRIVATE_NETS))
    return net[draw(st.integers(0, net.num_addresses - 1))]


def _part(value: int, style: str) -> str:
    return {"dec": str(value), "oct": "0" + format(value, "o"), "hex": hex(value)}[style]


@st.composite
def spellings(draw: st.DrawFn, address: ipaddress.IPv4Address, parts: int | None = None) -> str:
    """address in 1 to 4 dot-separated parts, each decimal, octal or hexadecimal (as inet_aton reads)."""
    octets = list(address.packed)
    n = parts or draw(st.integers(1, 4))
    leading, rest = octets[: n - 1], octets[n - 1 :]
    last = int.from_bytes(bytes(rest), "big")
    style = st.sampled_from(["dec", "oct", "hex"])
    return ".".join([*(_part(v, draw(style)) for v in leading), _part(last, draw(style))])


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_check_public_and_public_url_never_crash(text: str) -> None:
    reason = check_public(text)
    assert reason is None or isinstance(reason, str)
    assert check_public(public_url(text)) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), _BLANK, absolute_paths(), _BLANK, st.text(max_size=40))
def test_check_public_flags_any_absolute_path_embedded_in_text(
    before: str, blank: str, path: str, after_blank: str, after: str
) -> None:
    assert check_public(before + blank + path + after_blank + after) is not None


@settings(max_examples=300, deadline=None)
@given(st.data(), private_ipv4(), st.sampled_from(["http", "https", "ftp"]))
def test_check_public_flags_a_private_ipv4_in_any_spelling(data: st.DataObject, address, scheme: str) -> None:  # noqa: ANN001
    spelled = data.draw(spellings(address))
    port = data.draw(st.sampled_from(["", ":80", ":8080", ":9000"]))
    assert check_public(f"{scheme}://{spelled}{port}/x.mp4") is not None, spelled
    four = data.draw(spellings(address, parts=4))
    assert check_public(f"served from {four} today") is not None, four
    if "." in spelled:
        assert check_public(f"see {spelled}:8080") is not None, spelled
