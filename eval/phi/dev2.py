"""The `dev2` half of eval/phi/sentences.jsonl: a second development half, made differently from `dev` and
`heldout`, written after `dev` reached recall 1.0 and so stopped teaching anything.

What differs: names list C (other origins and spelling styles: particles van/de/bin/al-, hyphens,
apostrophes, diacritics, surname-first order, two-word surnames), other templates (case-presentation style,
names at sentence start and end, possessives, names next to eponymous diseases, varied self-introductions,
video titles), single-name references, initials, lowercase ASR-style transcripts; negatives with eponyms in
many syntactic positions (bare, possessive, in lists, at sentence end), devices and drugs named after people,
institutions named after people, first-name-like clinical words at sentence start (Iris, Frank, Gene, Will),
and acronyms. It was written without looking at the held-out sentences or their builder's lists.
Built by eval/phi/build_sentences.py (rows appended after the other halves).
"""

from __future__ import annotations

import random

HALF = "dev2"

NAMES_C = [
    ("Pieter", "van der Berg"),
    ("María", "de la Cruz"),
    ("Ahmad", "bin Ismail"),
    ("Layla", "al-Amin"),
    ("Seán", "Ó Briain"),
    ("Renée", "D'Amico"),
    ("Anne-Marie", "Leclerc"),
    ("Jean-Luc", "Moreau"),
    ("Bjørn", "Håkansson"),
    ("Zoë", "Fitzgerald-Hughes"),
    ("Kofi", "Boateng"),
    ("Ngozi", "Eze"),
    ("Tenzin", "Dorje"),
    ("Aroha", "Te Rangi"),
    ("Sung-min", "Park"),
    ("Xiaoling", "Zhou"),
    ("Arjun", "Venkataraman"),
    ("Gabriela", "dos Santos"),
    ("Mustafa", "Yılmaz"),
    ("Olga", "Kuznetsova"),
    ("Ewan", "MacLeod"),
    ("Nadia", "El-Sayed"),
    ("Santiago", "García Márquez"),
    ("Thandiwe", "Dlamini"),
    ("Kai", "Nakamura-Reyes"),
    ("Brigid", "O'Sullivan"),
    ("Hamid", "Rahimi"),
    ("Isabella", "Rossi"),
    ("Emeka", "Chukwu"),
    ("Lucía", "Fernández"),
    ("Wiremu", "Parata"),
    ("Astrid", "Lindqvist"),
]

# Narration and case presentation; {n} is a full name, at the start, the middle or the end.
BARE_C = [
    "Our next patient, {n}, developed a painful red eye after contact lens wear.",
    "Yesterday {n} rang eye casualty about flashing lights.",
    "On examination {n} had a relative afferent pupillary defect.",
    "{n} reports halos around lights in the evening.",
    "{n} developed double vision after the fall.",
    "Case presentation: {n}, 72, with sudden loss of vision in the left eye.",
    "Let me show you {n}'s OCT from the first visit.",
    "These photographs belong to {n}.",
    "Here is the angiogram of {n}.",
    "{n} has Stargardt disease and struggles to read.",
    "{n}'s Coats disease was treated with laser.",
    "{n} with Fuchs dystrophy needed endothelial keratoplasty.",
    "I reviewed {n} in the glaucoma clinic.",
    "The mother of {n} says he squints when tired.",
    "{n} became aware of a shadow in her peripheral vision.",
    "Six months later {n} still had cystoid macular oedema.",
    "{n}, aged 45, is a type 1 diabetic.",
    "The referral letter for {n} mentions a field defect.",
    "{n} declined the injection.",
    "Fundus photo, right eye, {n}.",
]
# Clinicians introducing themselves or being introduced.
INTRO_C = [
    "Hi all, {n} here, consultant at the regional eye unit.",
    "Welcome back, I'm {n}.",
    "My name's {n} and today we'll talk about uveitis.",
    "This lecture is presented by {n}.",
    "I am {n}, one of the retina fellows.",
    "Hello, this is {n} speaking.",
    "Good afternoon from {n} and the cornea team.",
    "Our speaker today is {n}, who runs the paediatric service.",
]
# Video titles and descriptions.
VIDEO_C = [
    "{n} | Uveitis masterclass",
    "Uveitis Masterclass with {n}",
    "Keynote - {n} (Retina Society 2023)",
    "{n}: my approach to macular holes",
    "Webinar #12 – {n} on glaucoma drainage devices",
    "Surgical video: {n} performs a DMEK",
    "Interview with {n} about teleophthalmology",
]
AUTHOR_C = [
    "{n} and colleagues described the sign in 2019.",
    "According to {n}, the drops should be stopped before surgery.",
]

# Hand-written rows: (text, [name spans as they appear]).
FIXED_POSITIVE = [
    # Single-name references.
    ("Later, Kofi told us the drops sting.", ["Kofi"]),
    ("We asked Olga to cover her left eye.", ["Olga"]),
    ("Astrid's vision dropped to counting fingers.", ["Astrid"]),
    ("Thandiwe came back a week later with a hypopyon.", ["Thandiwe"]),
    ("When we saw Ngozi again the pressure was 32.", ["Ngozi"]),
    ("Tenzin noticed the distortion while reading.", ["Tenzin"]),
    # Initials.
    ("K. Boateng presented with a swollen disc.", ["K. Boateng"]),
    ("Referral from A. van der Berg regarding a choroidal naevus.", ["A. van der Berg"]),
    ("J.-L. Moreau underwent vitrectomy for a macular hole.", ["J.-L. Moreau"]),
    ("The scan of M. Rossi shows drusen.", ["M. Rossi"]),
    # Surname-first order and all-capital surnames.
    ("ZHOU Xiaoling attended with a red eye.", ["ZHOU Xiaoling"]),
    ("Patient list: Dlamini, Thandiwe; Rahimi, Hamid.", ["Dlamini, Thandiwe", "Rahimi, Hamid"]),
    # Lowercase ASR transcripts.
    ("so this is kofi boateng he came in with a red eye", ["kofi boateng"]),
    ("and astrid lindqvist noticed the shadow on monday", ["astrid lindqvist"]),
    ("hi everyone i'm olga kuznetsova one of the fellows", ["olga kuznetsova"]),
    ("we saw hamid rahimi in clinic with raised pressure", ["hamid rahimi"]),
    ("my name is ewan macleod and i work in glaucoma", ["ewan macleod"]),
    ("so isabella rossi had a macular hole on the left", ["isabella rossi"]),
    # Two people in one sentence.
    ("Brigid O'Sullivan and Emeka Chukwu both had central serous.", ["Brigid O'Sullivan", "Emeka Chukwu"]),
    # Eponymous disease next to a person's name.
    ("Stargardt disease in Lucía Fernández: a case report", ["Lucía Fernández"]),
    ("Best disease was confirmed in Wiremu Parata's daughter.", ["Wiremu Parata"]),
    ("Horner syndrome in Arjun Venkataraman after carotid dissection.", ["Arjun Venkataraman"]),
]

# Eponyms in many positions: bare, possessive, in lists, at the sentence end, devices named after people.
EPONYM_C = [
    "Patients with Stargardt often have a dark choroid on angiography.",
    "In Coats, the exudation is usually unilateral.",
    "We confirmed Horner's with apraclonidine drops.",
    "The differential includes Best, Stargardt and pattern dystrophy.",
    "Is this Fuchs or posterior polymorphous dystrophy?",
    "Adie's pupil responds to dilute pilocarpine.",
    "On gonioscopy, Schwalbe's line was prominent.",
    "Think of Vogt-Koyanagi-Harada when both eyes have serous detachments.",
    "Bruch's membrane ruptures give angioid streaks.",
    "Kayser-Fleischer rings point to Wilson's.",
    "Behçet's uveitis can be sight-threatening.",
    "Sjögren's gives severe dry eye.",
    "Graves' orbitopathy is the commonest cause of proptosis in adults.",
    "Tay-Sachs shows a cherry-red spot.",
    "Berlin's oedema follows blunt trauma.",
    "The Ahmed valve has a flow restrictor.",
    "A Baerveldt tube was placed superotemporally.",
    "The Seidel test was positive after the wound leak.",
    "Schirmer's test measured 4 mm at five minutes.",
    "Dalrymple's sign is lid retraction in thyroid eye disease.",
    "Lisch nodules are seen in neurofibromatosis.",
    "Cogan's syndrome combines keratitis and hearing loss.",
    "Irvine-Gass follows cataract surgery.",
    "Tolosa-Hunt is a painful ophthalmoplegia.",
    "Kearns-Sayre includes chronic progressive external ophthalmoplegia.",
    "Stargardt is inherited recessively.",
    "Coats typically affects young boys.",
    "Harada can present with headache before the eyes are involved.",
    "The Krimsky test uses prisms over the fixing eye.",
    "The Bielschowsky head tilt test isolates a fourth nerve palsy.",
    "Hutchinson's sign predicts ocular involvement in zoster.",
    "Posner-Schlossman was suspected because of the pressure spike.",
    "Dilated vessels on the iris suggest Fuchs heterochromic iridocyclitis.",
    "This is a classic case of Best.",
    "Vogt striae are seen in keratoconus.",
    "Molteno implants were the first glaucoma drainage devices.",
    "A Morgan lens was used for irrigation after the chemical injury.",
    "The Jones test assesses lacrimal drainage.",
    "We used the Goldmann three-mirror lens.",
    "Retinitis pigmentosa and Usher are often confused.",
    "Susac syndrome causes branch arterial occlusions.",
    "Did the Amsler show distortion?",
]
PLACE_C = [
    "Aravind performs thousands of cataract operations a day.",
    "Data came from the Wilmer and the Kellogg.",
    "The Jules Stein Eye Institute led the trial.",
    "Casey Eye Institute shared the images.",
    "The course was held in Hyderabad and Chennai.",
    "She trained in Toronto before moving to Melbourne.",
    "Moorfields and Manchester pooled their cohorts.",
    "The camp travelled from Kathmandu to Lahan.",
]
DRUG_C = [
    "Vabysmo was given every sixteen weeks.",
    "Lumigan and Cosopt were stopped before surgery.",
    "An iStent was implanted with the cataract.",
    "The Xen gel stent needed needling.",
    "Preserflo microshunt lowered the pressure to 12.",
    "The IOLMaster measured the axial length.",
    "The Pentacam shows inferior steepening.",
    "Luxturna is a gene therapy for RPE65 mutations.",
    "Syfovre and Izervay are given for geographic atrophy.",
    "A Volk lens gave a good view of the disc.",
    "The Tecnis toric lens was aligned at 90 degrees.",
    "The Haag-Streit slit lamp has a camera attachment.",
]
CLINICAL_C = [
    "Iris atrophy was seen after the attack.",
    "Frank papilloedema needs urgent imaging.",
    "Gene therapy is now available for some dystrophies.",
    "Will this patient need a vitrectomy?",
    "Mark the axis before surgery.",
    "Floaters and flashes need a dilated examination.",
    "Bilateral disc swelling needs a blood pressure check.",
    "Rose bengal staining shows devitalised epithelium.",
    "Grey line splitting helps in lid surgery.",
    "Hazy media limited the view.",
    "CRVO and BRVO were excluded.",
    "NICE guidance recommends faricimab as an option.",
    "RAPD was absent and the fields were full.",
    "OCT-A shows a neovascular network.",
    "PRP was completed in three sessions.",
    "SLT lowered the pressure by 20 percent.",
    "Young patients with high myopia need careful counselling.",
    "Dawn phenomenon affects glucose control in some diabetics.",
    "Summary: Treat Early, Review Often",
    "Key Points For The Exam",
    "so the stargardt patients usually present in their teens",
    "and then we check the amsler grid at every visit",
    "Faith in the visual field test depends on reliability indices.",
    "Sterling results from the new trial were presented.",
]


def _name(first: str, last: str, rng: random.Random) -> str:
    # Mostly "First Last"; sometimes a first initial, or a name in capitals as on a title card.
    r = rng.random()
    if r < 0.1:
        return f"{first[0]}. {last}"
    if r < 0.15:
        return f"{first} {last}".upper()
    return f"{first} {last}"


def build(row) -> list[dict[str, object]]:  # noqa: ANN001 - build_sentences._row
    rng = random.Random(3022)
    rows = []

    def people(templates: list[str], category: str, count: int) -> None:
        for i in range(count):
            first, last = NAMES_C[rng.randrange(len(NAMES_C))]
            name = _name(first, last, rng)
            text = templates[i % len(templates)].format(n=name)
            rows.append(row(text, [name], category, HALF))

    people(BARE_C, "bare_name", 40)
    people(INTRO_C, "clinician_intro", 16)
    people(VIDEO_C, "title_description", 21)
    people(AUTHOR_C, "author", 4)
    for text, names in FIXED_POSITIVE:
        rows.append(row(text, names, "bare_name", HALF))
    for texts, category in (
        (EPONYM_C, "eponym"),
        (PLACE_C, "place"),
        (DRUG_C, "drug_device"),
        (CLINICAL_C, "clinical"),
    ):
        rows.extend(row(text, [], category, HALF) for text in texts)
    return rows
