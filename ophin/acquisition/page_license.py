"""Licence statements in a publisher's HTML page or RSS/Atom feed, as evidence for the gate (pure parsing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as defused_et
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ophin.acquisition.license import LicenseEvidence
from ophin.acquisition.license_text import read_license
from ophin.domain.urls import canonical_url

MAX_HTML_CHARS = 2 * 2**20
MAX_FEED_BYTES = 20 * 2**20
_META_NAMES = frozenset({"license", "dc.rights", "dcterms.license"})

MRSS = "http://search.yahoo.com/mrss/"
CC_RSS = "http://backend.userland.com/creativeCommonsRssModule"
CC_RSS_HARVARD = "http://cyber.law.harvard.edu/rss/creativeCommonsRssModule.html"  # the module's later home
CC_WEB = "http://web.resource.org/cc/"
CC_REL = "http://creativecommons.org/ns#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
ATOM = "http://www.w3.org/2005/Atom"
_FEED_FIELDS = {
    f"{{{MRSS}}}license": "media:license",
    f"{{{CC_RSS}}}license": "creativeCommons:license",
    f"{{{CC_RSS_HARVARD}}}license": "creativeCommons:license",
    f"{{{CC_WEB}}}license": "cc:license",
    f"{{{CC_REL}}}license": "cc:license",
    f"{{{DC}}}rights": "dc:rights",
    f"{{{DCTERMS}}}license": "dcterms:license",
    f"{{{DCTERMS}}}rights": "dcterms:rights",
    f"{{{ATOM}}}rights": "atom:rights",
}


class _LicenseLinks(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = page_url
        self.page_url = page_url
        self.found: list[LicenseEvidence] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "").strip() for name, value in attrs}  # HTMLParser lower-cases names
        href = values.get("href")
        if tag == "base" and href:
            self.base = urljoin(self.page_url, href)  # later relative hrefs resolve against it
        elif tag in ("link", "a") and "license" in values.get("rel", "").lower().split() and href:
            self._add(urljoin(self.base, href), f"{tag}[rel=license]")
        elif tag == "meta" and values.get("name", "").lower() in _META_NAMES and values.get("content"):
            self._add(values["content"], f"meta[name={values['name'].lower()}]")

    def _add(self, value: str, where: str) -> None:
        evidence = LicenseEvidence(value=value, field=where, origin="page", url=self.page_url)
        if evidence not in self.found:
            self.found.append(evidence)


def license_from_html(html: str, page_url: str) -> list[LicenseEvidence]:
    """rel=license links and anchors, and license/DC meta tags, in page order; hrefs made absolute."""
    parser = _LicenseLinks(page_url)
    try:
        # A licence link sits in <head> or the footer of any page we can use; 2 MB bounds the work.
        parser.feed(html[:MAX_HTML_CHARS])
        parser.close()
    except (AssertionError, ValueError):  # some malformed declarations still raise; keep what parsed
        pass
    return parser.found


@dataclass(frozen=True)
class FeedLicenses:
    """Feed-level evidence, and each item's evidence (its own, else the feed's) by each of the item's URLs."""

    channel: list[LicenseEvidence]
    items: dict[str, list[LicenseEvidence]] = field(default_factory=dict)

    def for_url(self, url: str) -> list[LicenseEvidence]:
        """The evidence for a video URL from this feed: its item's, or the feed's when no item names it."""
        return self.items.get(canonical_url(url), self.channel)


def license_from_feed(xml: bytes, feed_url: str) -> FeedLicenses:
    """Parse RSS 2.0/1.0 or Atom; raises ValueError for oversize, declaration-bearing or malformed XML."""
    root = _parse_safely(xml)
    if _local(root.tag) == "feed":
        feed = root
    else:  # RSS 2.0 nests items in <channel>; RSS 1.0 puts them beside it
        feed = next((e for e in root.iter() if _local(e.tag) == "channel"), root)
    channel = _licences(feed, feed_url, exclude_items=True)
    items: dict[str, list[LicenseEvidence]] = {}
    for item in root.iter():
        if _local(item.tag) not in ("item", "entry") or item is root:
            continue
        evidence = _licences(item, feed_url, exclude_items=False)
        # Items inherit the feed's licence, but one naming its own overrides it (CC RSS module, Media RSS):
        # listing both would read as a conflict and refuse a video its publisher licensed item by item.
        # An item that denies or restricts ("NOT CC-BY", "personal use only") speaks for itself too.
        if not any(read_license(e.value).states_anything for e in evidence):
            evidence += [e for e in channel if e not in evidence]
        for url in _item_urls(item):
            # The first item to name a URL keeps it: a feed listing one video twice cannot relabel it.
            items.setdefault(canonical_url(urljoin(feed_url, url)), evidence)
    return FeedLicenses(channel=channel, items=items)


def _parse_safely(data: bytes) -> ET.Element:
    if len(data) > MAX_FEED_BYTES:
        raise ValueError(f"feed of {len(data)} bytes refused: over the {MAX_FEED_BYTES}-byte limit")
    # Declarations are where entity bombs and external entities live, and a feed has no use for them:
    # defusedxml refuses a DOCTYPE before expanding anything (and not "<!DOCTYPE" as text inside CDATA).
    try:
        return defused_et.fromstring(data, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        refusal = "feed refused: it holds a DOCTYPE or ENTITY declaration (entity expansion attack)"
        raise ValueError(refusal) from None
    except ET.ParseError as exc:
        raise ValueError(f"feed is not well-formed XML ({exc})") from None


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _licences(parent: ET.Element, feed_url: str, *, exclude_items: bool) -> list[LicenseEvidence]:
    found: list[LicenseEvidence] = []
    # Feed level: only the feed's own children (items carry their own); item level: anywhere inside it,
    # since Media RSS nests media:license in media:content and media:group.
    elements = list(parent) if exclude_items else list(parent.iter())[1:]
    for element in elements:
        where, value = _licence_statement(element, feed_url)
        if value:
            evidence = LicenseEvidence(value=value, field=where, origin="feed", url=feed_url)
            if evidence not in found:
                found.append(evidence)
    return found


def _licence_statement(element: ET.Element, feed_url: str) -> tuple[str, str | None]:
    if element.tag == f"{{{ATOM}}}link":
        if element.get("rel", "").strip().lower() == "license" and element.get("href"):
            return "atom:link[rel=license]", urljoin(feed_url, element.get("href", "").strip())
        return "", None
    where = _FEED_FIELDS.get(str(element.tag))
    if where is None:
        return "", None
    # A URL attribute names the licence exactly; the text is a human label for it.
    url = element.get("href") or element.get(f"{{{RDF}}}resource")
    if url and url.strip():
        return where, urljoin(feed_url, url.strip())
    text = " ".join("".join(element.itertext()).split())
    return where, text or None


def _item_urls(item: ET.Element) -> list[str]:
    urls: list[str] = []
    for element in item.iter():
        tag = str(element.tag)
        if tag == "enclosure" or tag == f"{{{MRSS}}}content":
            urls.append(element.get("url", ""))
        elif tag in ("link", "{http://purl.org/rss/1.0/}link") and element is not item:
            urls.append(element.text or "")
        elif tag == f"{{{ATOM}}}link" and element.get("rel", "alternate") in ("alternate", "enclosure"):
            urls.append(element.get("href", ""))
    return [u.strip() for u in urls if u and u.strip()]
