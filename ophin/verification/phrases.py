"""Phrase tables the checks match: source leakage, injected instructions and links, pointing filler."""

from __future__ import annotations

import re


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


LEAKAGE = _compile(
    r"\bthe speaker\b",
    r"\bspeaker (?:says|said|mentions|mentioned|explains|notes)\b",
    r"\bnarrat(?:or|ion)\b",
    r"\btranscripts?\b",
    r"\bin (?:this|the) video\b",
    r"\bthis (?:lecture|talk)\b",
    r"\bthe lecturer\b",
    r"\bas (?:previously |already |i |we )?(?:mentioned|said|discussed)\b",
    r"\bthe presenter\b",
    r"\b(?:he|she|they) said\b",
    r"\bsubscrib(?:e|ed|ing)\b",
)

# Top-level domains a lecture answer has no reason to spell: a bare "evil.example" is a link all the same.
_TLD = (
    r"com|org|net|edu|gov|io|ai|uk|de|fr|ru|cn|info|biz|ly|app|dev|xyz|site|online|link|"
    r"click|top|tv|gg|health|example|test|invalid|local"
)
INJECTION: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(p, re.IGNORECASE))
    for kind, p in (
        ("url", r"\b(?:https?|ftp)://\S+|\bwww\.[\w-]+(?:\.[\w-]+)+\S*"),
        # Lowercase top-level domain: "macula.Example" is a missing space, "evil.example" a link.
        ("url", rf"(?<![\w@.])(?:[a-z0-9-]+\.)+(?-i:{_TLD})\b(?!\.\w)(?:/[\w./?=&%#-]*)?"),
        ("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
        (
            "instruction to a model",
            r"\b(?:ignore|disregard|forget|override|bypass)\b(?:\s+\w+){0,3}?\s+(?:previous|prior|above|"
            r"earlier|preceding|all|any|your|the|these|those|system)\b(?:\s+\w+){0,2}?\s+"
            r"(?:instructions?|prompts?|messages?|rules?|context|directions?|guidelines?|constraints?)\b",
        ),
        ("instruction to a model", r"\b(?:ignore|disregard) (?:all|everything|the above|previous)\b"),
        (
            "instruction to a model",
            r"\byou are now (?:a|an|the|my|free|no longer|unrestricted|jailbroken|dan)\b"
            r"|\bfrom now on,? you\b|\bpretend (?:to be|you are)\b",
        ),
        ("instruction to a model", r"\b(?:system|developer|hidden) (?:prompt|message|instructions?)\b"),
        ("instruction to a model", r"\bas an? (?:ai|artificial intelligence|(?:large )?language model)\b"),
        ("instruction to a model", r"\bi am an? (?:ai|language model|assistant)\b|\bjailbreak\b"),
        ("instruction to a model", r"\b(?:respond|reply|answer|output|print|say) only (?:with|in)\b"),
        ("instruction to a model", r"\bnew instructions?\b|\bdo not follow\b|\bdeveloper mode\b"),
        ("call to action", r"\bclick(?:ing)?\b"),
        ("call to action", r"\bvisit (?:us|our|my|the (?:website|site|page|link)|https?|www)\b"),
        (
            "call to action",
            r"\bsubscrib(?:e|ing)\b|\bsign up\b|\bfollow (?:us|me)\b|\blink in (?:the )?bio\b",
        ),
        ("call to action", r"\b(?:buy|order|shop|call|book|register|download) (?:now|today|here)\b"),
        ("call to action", r"\b(?:promo|discount|coupon) codes?\b|\buse (?:the )?code\b"),
        (
            "call to action",
            r"\b(?:check out|go to|head to|contact us at)\b(?:\s+\w+){0,3}?\s+(?:website|link|"
            r"page|channel|site|store)\b",
        ),
        (
            "markup",
            r"<\s*/?\s*(?:script|iframe|img|a|style|object|embed|svg|html|body|div|span|form)\b[^>]*>",
        ),
        ("markup", r"```|<\|[\w-]+\|>|\[/?INST\]|<</?SYS>>|\bjavascript:|\{\{.*?\}\}"),
        ("markup", r";\s*(?:drop|delete|insert|update)\s+(?:table|from|into)\b|\bunion\s+select\b"),
    )
)

# Words that point at the screen or fill time: an answer made only of them says nothing about the image.
POINTING = frozenset(
    """
here there look looking note notice noticed appreciate area areas region regions thing things something
stuff example examples case cases slide slides arrow arrows arrowhead circle circled marked highlighted
point pointing left right side top bottom middle interesting important nice beautiful lovely typical
classic classical clearly clear obviously obvious exactly basically course yes yeah sure indeed good great
kind sort lot lots bit little feature features finding findings thing view views part parts also again
just really remember keep mind next previous following first second last one two demonstrated demonstrate
demonstrates evident observe observed identify identified apparent notable noticeable picture image photo
photograph scan figure frame panel display displayed seeing look see
""".split()
)
