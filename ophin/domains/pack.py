"""A domain pack: a specialty's knowledge as data files in ophin/domains/<name>/, validated on load.

Files of a pack (each checked by the models below; a pack that breaks one is refused with the file and field):
- pack.json: its title, the crawl's search template and the dataset card's tags;
- lexicon.json: the cue lexicon (anatomy, findings, diagnoses, modalities; deictic and non-visual phrases),
  regular expressions with `{_NAME}` placeholders, and the frame classifier's labels (which are clinical,
  which lexicon modality each is);
- relations.json: finding -> meaning relations, each citing an entry of `citations`;
- refiner.json: the transcript refiner's known mis-hearings, guarded in-context confusions and the words
  its rules need (head nouns, units, combining forms); a pack without it corrects no mis-hearing;
- wording.json: how prompts and offline records write its words (acronyms, plurals, eponyms, picture nouns);
- phi.json: the specialty's words around a person's name (a patient's "fundus", an eponym's "applanation");
- taxonomy/<category>.txt: search terms that seed crawl sources; not_people/<kind>.txt: eponyms, products
  and places that look like names but are not patients, and overlay.txt, words a device writes beside a
  picture; terms.txt and words.txt: the refiner's and the verifier's domain word lists (list files: one
  entry a line, `#` starts a comment, whole line or inline).

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
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

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
    # one plain spelling of a placeholder, where a pattern's words are listed ({_SEP} -> " ")
    placeholder_spellings: dict[str, str] = Field(default_factory=dict)
    anatomy: Patterns
    findings: Patterns
    diagnoses: Patterns
    diagnosis_qualifiers: list[str] = Field(default_factory=list)  # words that grade a diagnosis
    modalities: Patterns
    frame_labels: list[str] = Field(default_factory=list)  # the frame classifier's labels, in order
    clinical_frames: list[str] = Field(default_factory=list)  # labels of clinical pictures: kept by default
    chart_frames: list[str] = Field(default_factory=list)  # clinical, though no photograph (a printout)
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
        strays = {*self.clinical_frames, *self.chart_frames} - set(self.frame_labels)
        if strays:
            raise ValueError(f"clinical_frames or chart_frames name no frame label: {sorted(strays)}")
        if set(self.placeholder_spellings) - set(self.placeholders):
            raise ValueError(f"placeholder_spellings of no placeholder: {sorted(self.placeholder_spellings)}")
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


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r}: {exc}") from exc
    return pattern


Regex = Annotated[str, AfterValidator(_regex)]  # a pattern that compiles


class Misheard(_Strict):
    """A known mis-hearing of a term (refiner.json). Its repr is part of LexiconRefiner.version."""

    heard: Regex  # case-insensitive, word-bounded: its group `w`, or the whole match, is replaced
    said: str  # what was said
    said_before_noun: str | None = None  # the adjective form, written when a noun follows
    note: str = ""  # why the recogniser hears it so (free text)


class ContextRule(_Strict):
    """A real English word that is a mis-hearing only in a sentence of the specialty (refiner.json)."""

    heard: Regex  # its group `w` is the word heard
    said: str  # what was said
    needs: Regex  # the sentence outside the heard span must match it
    vetoes: Regex  # neither the sentence nor its context may match it ("(?!)": nothing vetoes)
    note: str = ""  # why the recogniser hears it so (free text)

    @field_validator("heard")
    @classmethod
    def _group_w(cls, pattern: str) -> str:
        if "w" not in re.compile(pattern).groupindex:
            raise ValueError(f"{pattern!r}: no group (?P<w>...) naming the word heard")
        return pattern


class Refiner(_Strict):
    """refiner.json: what the lexicon refiner knows of the specialty's speech."""

    notes: dict[str, str] = Field(default_factory=dict)  # why a table or entry is as it is (free text)
    misheard: list[Misheard] = Field(default_factory=list)  # known mis-hearings, tried in order
    context_rules: list[ContextRule] = Field(default_factory=list)  # mis-hearings only in context
    head_nouns: list[str] = Field(default_factory=list)  # nouns after which said_before_noun is written
    units: list[str] = Field(default_factory=list)  # the specialty's units, besides years, days, mm ...
    combining_forms: list[str] = Field(default_factory=list)  # "chorio": "chorioretinal" is a word


class Wording(_Strict):
    """wording.json: how prompts and offline records write the specialty's words."""

    notes: dict[str, str] = Field(default_factory=dict)  # why a list is as it is (free text)
    acronyms: list[Regex] = Field(default_factory=list)  # words written in capitals ("rpe", "cnvm?")
    plural_nouns: list[str] = Field(default_factory=list)  # plurals with no -s ("drusen", "emboli")
    not_adjectives: list[str] = Field(default_factory=list)  # nouns that end like adjectives ("scar")
    proper_words: list[str] = Field(default_factory=list)  # kept capitalised mid-sentence ("bruch's")
    picture_words: list[Regex] = Field(default_factory=list)  # the specialty's pictures ("angiogram")
    soft_findings: list[str] = Field(default_factory=list)  # finding labels with no polarity of their own


class Phi(_Strict):
    """phi.json: the specialty's words around a person's name (ophin/domain/person_names.py)."""

    notes: dict[str, str] = Field(default_factory=dict)  # why a list is as it is (free text)
    possessions: list[Regex] = Field(default_factory=list)  # "Smith's fundus": a patient's (case-sensitive)
    eponym_tails: list[Regex] = Field(default_factory=list)  # "Goldmann applanation": a term, not a person


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
    requires: list[Regex] = Field(default_factory=list)
    excludes: list[Regex] = Field(default_factory=list)
    kind: Literal["sign", "normal"] = "sign"
    modality: str | None = None


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
        self.refiner = _load(Refiner, folder, "refiner.json", optional=True)
        self.wording = _load(Wording, folder, "wording.json", optional=True)
        self.phi = _load(Phi, folder, "phi.json", optional=True)
        strays = sorted({lab for r in self.knowledge.relations for lab in r.labels} - self.lexicon.labels)
        if strays:
            raise DomainPackError(f"{name}/relations.json: labels the lexicon lacks: {strays}")
        strays = sorted(set(self.wording.soft_findings) - set(self.lexicon.findings))
        if strays:
            raise DomainPackError(f"{name}/wording.json: soft_findings the lexicon's findings lack: {strays}")

    def text(self, *path: str) -> str:
        """A data file of the pack (taxonomy/conditions.txt, not_people/eponyms.txt, words.txt, ...)."""
        item = self.folder.joinpath(*path)
        if not item.is_file():
            raise DomainPackError(f"domain pack {self.name!r} has no {'/'.join(path)}")
        return item.read_text("utf-8")

    def lines(self, *path: str) -> tuple[str, ...]:
        """A list file's entries in order, stripped: `#` starts a comment (a whole line's or the end of one),
        blank lines are skipped. The one reader of every list file of a pack."""
        stripped = (line.split("#", 1)[0].strip() for line in self.text(*path).splitlines())
        return tuple(s for s in stripped if s)


def _load(model: type[BaseModel], folder: Traversable, file: str, optional: bool = False) -> BaseModel:
    item = folder.joinpath(file)
    if not item.is_file():
        if optional:
            return model()
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
