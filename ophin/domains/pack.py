"""A domain pack: a specialty's knowledge as data files in ophin/domains/<name>/, validated on load.

Files of a pack (each checked by the models below; a pack that breaks one is refused with the file and field):
- pack.json: its title, the crawl's search template and the dataset card's tags;
- lexicon.json: the cue lexicon (anatomy, findings, diagnoses, modalities; deictic and non-visual phrases),
  regular expressions with `{_NAME}` placeholders, and the frame classifier's labels -> lexicon modalities;
- relations.json: finding -> meaning relations, each citing an entry of `citations`;
- taxonomy/<category>.txt: search terms that seed crawl sources; not_people/<kind>.txt: eponyms, products
  and places that look like names but are not patients; terms.txt and words.txt: the refiner's and the
  verifier's domain word lists.

`OPHIN_DOMAIN` (default ophthalmology; or the path of a pack folder of one's own) picks the pack for the
whole process: the lexicon is compiled when the engine is imported, so the variable is read then.
"""

from __future__ import annotations

import os
import re
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT = "ophthalmology"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
Patterns = dict[str, list[str]]


class DomainPackError(ValueError):
    """A pack that is missing or breaks its schema."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lexicon(_Strict):
    notes: dict[str, str] = Field(default_factory=dict)  # why a table or label is as it is (free text)
    placeholders: dict[str, str] = Field(default_factory=dict)  # {_SEP} in a pattern -> placeholders["SEP"]
    anatomy: Patterns
    findings: Patterns
    diagnoses: Patterns
    diagnosis_qualifiers: list[str] = Field(default_factory=list)  # words that grade a diagnosis
    modalities: Patterns
    frame_modalities: dict[str, str] = Field(default_factory=dict)  # classifier label -> modality label
    # classifier label -> the modality labels a record on such a frame may name ([]: none may be named)
    frame_modality_words: dict[str, list[str]] = Field(default_factory=dict)
    generic_modality_words: list[str] = Field(default_factory=list)  # say nothing of a modality alone
    modality_nouns: dict[str, str] = Field(default_factory=dict)  # modality label -> how a record calls it
    label_families: list[list[str]] = Field(default_factory=list)  # labels an answer may name for another
    deictic: Patterns
    negative: Patterns

    @property
    def labels(self) -> set[str]:
        """Every term label (anatomy, findings, diagnoses, modalities): what relations and families name."""
        return {*self.anatomy, *self.findings, *self.diagnoses, *self.modalities}

    def expand(self, pattern: str) -> str:
        for name, value in self.placeholders.items():
            pattern = pattern.replace("{_" + name + "}", value)
        return pattern

    @model_validator(mode="after")
    def _patterns_compile(self) -> Lexicon:
        for table in ("anatomy", "findings", "diagnoses", "modalities", "deictic", "negative"):
            for label, patterns in getattr(self, table).items():
                if not patterns:
                    raise ValueError(f"{table}[{label!r}]: no pattern")
                for pattern in patterns:
                    expanded = self.expand(pattern)
                    if "{_" in expanded:
                        raise ValueError(f"{table}[{label!r}]: unknown placeholder in {pattern!r}")
                    try:
                        re.compile(expanded)
                    except re.error as exc:
                        raise ValueError(f"{table}[{label!r}]: {pattern!r}: {exc}") from exc
        named = {
            *self.frame_modalities.values(),
            *self.modality_nouns,
            *(m for ms in self.frame_modality_words.values() for m in ms),
        }
        unknown = named - set(self.modalities)
        if unknown:
            raise ValueError(f"frame_modalities name modalities the lexicon lacks: {sorted(unknown)}")
        strays = {label for family in self.label_families for label in family} - self.labels
        if strays:
            raise ValueError(f"label_families name labels the lexicon lacks: {sorted(strays)}")
        return self


class Manifest(_Strict):
    """pack.json: what names the specialty outside the knowledge itself."""

    title: str  # "Ophthalmology"
    query_template: str  # a crawl search per taxonomy term: "{term} ophthalmology"
    tags: list[str]  # the dataset card's subject tags

    @field_validator("query_template")
    @classmethod
    def _one_term(cls, template: str) -> str:
        if template.count("{term}") != 1:
            raise ValueError(f"query_template must hold {{term}} once, got {template!r}")
        return template


class RelationEntry(_Strict):
    group: str | None = None  # a heading for people reading the file ("glaucoma"); not used by the engine
    finding: str
    indicates: str
    statement: str
    source: str  # a key of citations
    labels: list[str] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)
    kind: Literal["sign", "normal"] = "sign"
    modality: str | None = None

    @field_validator("requires", "excludes")
    @classmethod
    def _compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r}: {exc}") from exc
        return patterns


class Knowledge(_Strict):
    notes: dict[str, str] = Field(default_factory=dict)  # why a table or entry is as it is (free text)
    citations: dict[str, str]
    relations: list[RelationEntry]
    aliases: dict[str, str] = Field(default_factory=dict)  # other spellings -> lexicon labels
    tissue_meanings: list[str] = Field(default_factory=list)  # meanings that name no diagnosis

    @model_validator(mode="after")
    def _cited(self) -> Knowledge:
        uncited = sorted({r.source for r in self.relations} - set(self.citations))
        if uncited:
            raise ValueError(f"relations cite what citations does not hold: {uncited}")
        return self


class DomainPack:
    """One specialty's knowledge, loaded and validated once per process."""

    def __init__(self, name: str, folder: Traversable) -> None:
        self.name = name
        self.folder = folder
        self.manifest = _load(Manifest, folder, "pack.json")
        self.lexicon = _load(Lexicon, folder, "lexicon.json")
        self.knowledge = _load(Knowledge, folder, "relations.json")
        strays = sorted({lab for r in self.knowledge.relations for lab in r.labels} - self.lexicon.labels)
        if strays:
            raise DomainPackError(f"{name}/relations.json: labels the lexicon lacks: {strays}")

    def text(self, *path: str) -> str:
        """A data file of the pack (taxonomy/conditions.txt, not_people/eponyms.txt, words.txt, ...)."""
        item = self.folder.joinpath(*path)
        if not item.is_file():
            raise DomainPackError(f"domain pack {self.name!r} has no {'/'.join(path)}")
        return item.read_text("utf-8")

    def lines(self, *path: str) -> tuple[str, ...]:
        """A list file's entries in order: blank lines and `#` comments skipped."""
        stripped = (line.strip() for line in self.text(*path).splitlines())
        return tuple(s for s in stripped if s and not s.startswith("#"))


def _load(model: type[BaseModel], folder: Traversable, file: str) -> BaseModel:
    item = folder.joinpath(file)
    if not item.is_file():
        raise DomainPackError(f"{folder}/{file}: missing")
    try:
        return model.model_validate_json(item.read_text("utf-8"))
    except ValidationError as exc:
        raise DomainPackError(f"{folder}/{file}: {exc}") from exc


@cache
def load(name: str) -> DomainPack:
    """The pack named `name` (a folder of ophin/domains), validated; DomainPackError when it is not."""
    if not _NAME.match(name):
        raise DomainPackError(f"domain pack name {name!r}: lowercase letters, digits and _ only")
    folder = resources.files("ophin.domains").joinpath(name)
    if not folder.is_dir():
        raise DomainPackError(f"no domain pack {name!r}; packs: {', '.join(available())}")
    return DomainPack(name, folder)


def available() -> list[str]:
    root = resources.files("ophin.domains")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.joinpath("lexicon.json").is_file())


def current() -> DomainPack:
    """The pack OPHIN_DOMAIN names (default ophthalmology): a pack of ophin/domains, or a folder of one's own
    (a value holding a "/"), so a new specialty needs no change to the engine."""
    name = os.environ.get("OPHIN_DOMAIN", DEFAULT).strip() or DEFAULT
    return load_folder(name) if "/" in name else load(name)


@cache
def load_folder(path: str) -> DomainPack:
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise DomainPackError(f"OPHIN_DOMAIN={path!r}: no such folder")
    return DomainPack(folder.name, folder)
