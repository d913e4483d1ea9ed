"""Write eval/phi/sentences.jsonl: labelled sentences for the person-name part of find_phi.

Two halves, made differently so one can be held out while tuning: `dev` uses names list A and templates A;
`heldout` uses names list B, templates B and a second eponym list (eponyms written before looking at
which ones ophin/domains/ophthalmology/not_people/eponyms.txt holds). Labels: has_phi is true when the text
names a person who is not an eponym. A clinician's own name in a lecture intro counts (decided: the dataset's
instructions describe images, not people; the lecturer is credited through the channel and URL fields,
and a name in an instruction cannot be told apart from a patient's). Authors' names count too.
A third half, `dev2` (eval/phi/dev2.py), was added when `dev` reached recall 1.0: other names, templates and
negatives, for development; its rows come last so the first two halves stay byte-identical.
Run: python -m eval.phi.build_sentences
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from eval.phi import dev2

OUT = Path(__file__).with_name("sentences.jsonl")

# Names of diverse origins: (first, last), invented combinations of common names.
NAMES_A = [
    ("Priya", "Patel"),
    ("James", "Whitfield"),
    ("Oluwaseun", "Adeyemi"),
    ("Mei", "Chen"),
    ("Siobhan", "O'Connor"),
    ("Mohammed", "Al-Rashid"),
    ("Ana", "Souza"),
    ("Hiroshi", "Tanaka"),
    ("Fatima", "Khan"),
    ("Lars", "Eriksson"),
    ("Chidi", "Okafor"),
    ("Elena", "Popescu"),
    ("Rahul", "Sharma"),
    ("Grace", "Mensah"),
    ("Tomasz", "Kowalski"),
    ("Aisha", "Bello"),
    ("Diego", "Ramirez"),
    ("Nguyen", "Thi Lan"),
    ("Sarah", "Goldberg"),
    ("Kwame", "Asante"),
    ("Ingrid", "Johansson"),
    ("Ravi", "Krishnan"),
    ("Yuki", "Sato"),
    ("Hannah", "Murphy"),
    ("Omar", "Haddad"),
    ("Beatriz", "Ferreira"),
    ("Dmitri", "Volkov"),
    ("Leilani", "Kahale"),
    ("Connor", "McAllister"),
    ("Amara", "Nwosu"),
]
NAMES_B = [
    ("Tamati", "Ngata"),
    ("Svetlana", "Ivanova"),
    ("Juan Carlos", "Mendoza"),
    ("Adaeze", "Eze"),
    ("Wei", "Zhang"),
    ("Bridget", "Callaghan"),
    ("Arjun", "Reddy"),
    ("Zainab", "Yusuf"),
    ("Pieter", "van der Berg"),
    ("Min-jun", "Kim"),
    ("Lucia", "Bianchi"),
    ("Kofi", "Boateng"),
    ("Nadia", "Rahman"),
    ("Giorgos", "Papadopoulos"),
    ("Emily", "Hartley"),
    ("Thabo", "Nkosi"),
    ("Ayesha", "Siddiqui"),
    ("Mateus", "Oliveira"),
    ("Haruka", "Yamamoto"),
    ("Declan", "Byrne"),
    ("Farah", "Jaber"),
    ("Sven", "Lindqvist"),
    ("Chiara", "Romano"),
    ("Babajide", "Ogunleye"),
    ("Linh", "Pham"),
    ("Rosa", "Delgado"),
    ("Aleksander", "Nowak"),
    ("Mehmet", "Yilmaz"),
    ("Keisha", "Thompson"),
    ("Anil", "Gupta"),
]
TITLES_A = ["Dr", "Mr", "Mrs", "Ms", "Professor", "Dr."]
TITLES_B = ["Miss", "Prof.", "Doctor", "Mr.", "Dr"]

BARE_A = [
    "{n} came in with blurred vision in the right eye.",
    "{n} presented with sudden painless loss of vision.",
    "{n}, a 67-year-old, has had floaters for two weeks.",
    "{n} noticed a curtain over her vision yesterday.",
    "{n} complained of glare when driving at night.",
    "{n} was referred by the optometrist for raised pressure.",
    "{n}'s fundus shows scattered dot haemorrhages.",
    "We saw {n} in clinic last week with a red eye.",
    "{n} attended for her third anti-VEGF injection.",
    "This is {n}, who underwent cataract surgery last year.",
]
BARE_B = [
    "{n} walked into casualty holding his left eye.",
    "Last month {n} returned with worsening distortion.",
    "{n} is a 52-year-old diabetic with reduced acuity.",
    "{n} told us the vision had been fading for months.",
    "I examined {n} and found a relative afferent pupillary defect.",
    "Here is the OCT of {n} taken at the second visit.",
    "{n} underwent vitrectomy for a macular hole.",
    "{n} had been diagnosed with glaucoma elsewhere.",
    "The scan belongs to {n}, seen in the retina clinic.",
    "{n} arrived with a painful photophobic eye.",
]
TITLED_A = [
    "{t} {n} came back for review of the macula.",
    "The image is from {t} {n}'s left eye.",
    "{t} {n} has proliferative diabetic retinopathy.",
]
TITLED_B = [
    "Photographs courtesy of {t} {n}.",
    "{t} {n} reported halos around lights.",
    "We asked {t} {n} to return in six weeks.",
]
VIDEO_A = [
    "Grand Rounds: {n} and the swollen optic disc",
    "Case of {n} - central retinal vein occlusion",
    "Diabetic retinopathy lecture by {n}",
    "Retina update {year} | {n}",
    "In this talk {n} walks through OCT interpretation.",
]
VIDEO_B = [
    "{n} explains glaucoma imaging",
    "Uveitis masterclass with {n}",
    "Patient story: {n} and keratoconus",
    "Webinar - {n} on paediatric cataract",
    "Subscribe for more cases like {n}'s retinal detachment.",
]
INTRO_A = [
    "Hi, I'm {t} {n} from Moorfields Eye Hospital.",
    "Hello everyone, my name is {n} and I'm a retina fellow in Manchester.",
    "Good morning, I'm {n}, a consultant ophthalmologist.",
]
INTRO_B = [
    "Welcome back, this is {n} from the glaucoma service in Toronto.",
    "Thanks for joining, I'm {t} {n} and today we cover uveitis.",
    "Hey guys, {n} here with another OCT case.",
]
AUTHOR_A = ["As {n} et al. showed, the ellipsoid zone recovers slowly."]
AUTHOR_B = ["The trial led by {n} changed how we treat macular oedema."]

EPONYM_A = [
    "Stargardt disease causes central flecks at the level of the RPE.",
    "Best vitelliform dystrophy shows an egg-yolk lesion at the fovea.",
    "Coats disease presents with telangiectatic vessels and exudation.",
    "A Horner syndrome gives ptosis and miosis.",
    "An Adie tonic pupil constricts slowly to near.",
    "A Marcus Gunn pupil indicates an afferent defect.",
    "Vogt-Koyanagi-Harada disease causes bilateral granulomatous panuveitis.",
    "Fuchs endothelial dystrophy causes guttata and corneal oedema.",
    "Descemet membrane detachment can follow cataract surgery.",
    "Bowman layer is absent in keratoconus scars.",
    "Aqueous drains through Schlemm canal.",
    "Drusen lie between the RPE and Bruch membrane.",
    "Elschnig spots indicate choroidal ischaemia in hypertension.",
    "Kayser-Fleischer rings are copper deposits in Descemet membrane.",
    "Roth spots are haemorrhages with pale centres.",
    "Use the Amsler grid to detect metamorphopsia.",
    "Acuity was 6/9 on the Snellen chart.",
    "Goldmann applanation tonometry measured 24 mmHg.",
    "Leber hereditary optic neuropathy affects young men.",
    "Eales disease is a peripheral occlusive vasculitis.",
    "Sorsby fundus dystrophy mimics wet AMD.",
    "Axenfeld-Rieger syndrome involves iris strands to Schwalbe line.",
    "Krukenberg spindle suggests pigment dispersion.",
    "Sturge-Weber syndrome is associated with glaucoma.",
    "Von Hippel-Lindau disease causes retinal haemangioblastomas.",
    "Purtscher retinopathy follows severe trauma.",
    "Terson syndrome is vitreous haemorrhage after subarachnoid bleed.",
    "Argyll Robertson pupils accommodate but do not react.",
    "Parinaud syndrome includes upgaze palsy.",
    "Duane syndrome limits abduction.",
    "Brown syndrome limits elevation in adduction.",
    "Graves disease causes lid retraction and proptosis.",
    "Posner-Schlossman syndrome gives recurrent pressure spikes.",
    "Salzmann nodular degeneration elevates the cornea.",
    "Mooren ulcer is a painful peripheral keratitis.",
    "Hudson-Stahli line is iron in the cornea.",
    "Hollenhorst plaques are cholesterol emboli.",
    "Dalen-Fuchs nodules appear in sympathetic ophthalmia.",
    "Hirschberg test estimates the deviation.",
    "Ishihara plates screen red-green colour vision.",
    "The Maddox rod helps measure cyclotorsion.",
    "Tenon capsule is opened before the trabeculectomy flap.",
    "Zinn ring is the origin of the recti.",
    "Haller layer contains the large choroidal vessels.",
    "Henle fibre layer gives the hyperreflective bands on OCT.",
    "Mittendorf dot is a remnant of the hyaloid artery.",
    "Wilson disease shows a sunflower cataract.",
    "Marfan syndrome causes superotemporal lens subluxation.",
    "Down syndrome carries a higher risk of keratoconus.",
    "Holmes-Adie syndrome adds absent tendon reflexes.",
]
EPONYM_B = [
    "Bietti crystalline dystrophy shows glistening deposits.",
    "Doyne honeycomb dystrophy is also called Malattia Leventinese.",
    "Oguchi disease shows the Mizuo-Nakamura phenomenon.",
    "Stickler syndrome carries a high risk of retinal detachment.",
    "Usher syndrome combines deafness with retinitis pigmentosa.",
    "Bardet-Biedl syndrome causes a rod-cone dystrophy.",
    "Refsum disease responds to a low phytanic acid diet.",
    "Susac syndrome causes branch arterial occlusions.",
    "Behcet disease causes an occlusive retinal vasculitis.",
    "Kearns-Sayre syndrome combines ophthalmoplegia and pigmentary retinopathy.",
    "Thygeson superficial punctate keratitis responds to steroid.",
    "Meesmann dystrophy forms epithelial microcysts.",
    "Schnyder corneal dystrophy deposits crystalline cholesterol.",
    "Reis-Bucklers dystrophy scars Bowman layer.",
    "Terrien marginal degeneration thins the superior cornea.",
    "Cogan syndrome combines interstitial keratitis with vertigo.",
    "Lisch nodules are seen in neurofibromatosis.",
    "Peters anomaly is a central corneal opacity.",
    "Chandler syndrome is a form of ICE syndrome.",
    "Haab striae are breaks in Descemet membrane.",
    "Vossius ring is pigment on the anterior lens.",
    "Bergmeister papilla is a remnant on the disc.",
    "Weiss ring marks a posterior vitreous detachment.",
    "Arlt line is a conjunctival scar in trachoma.",
    "Herbert pits are limbal scars.",
    "Horner-Trantas dots occur in vernal keratoconjunctivitis.",
    "Bitot spots indicate vitamin A deficiency.",
    "Khodadoust line marks corneal graft rejection.",
    "Munson sign is seen in advanced keratoconus.",
    "Seidel test shows aqueous leaking through the wound.",
    "Schirmer test measures tear production.",
    "Van Herick grading estimates the angle depth.",
    "Shaffer grading describes the gonioscopic angle.",
    "The Hruby lens gives a view of the posterior pole.",
    "Pelli-Robson chart tests contrast sensitivity.",
    "Farnsworth-Munsell 100 hue test grades colour discrimination.",
    "Bagolini glasses test retinal correspondence.",
    "Krimsky test uses prisms to centre the reflex.",
    "Worth four dot test shows suppression.",
    "Hess chart plots the deviation in each gaze.",
    "Hertel exophthalmometer measures proptosis.",
    "Fasanella-Servat procedure corrects mild ptosis.",
    "Foster Kennedy syndrome gives optic atrophy in one eye and swelling in the other.",
    "Uhthoff phenomenon is worse vision when warm.",
    "Pulfrich phenomenon follows optic neuritis.",
    "Charles Bonnet syndrome causes visual hallucinations.",
    "Tolosa-Hunt syndrome is a painful ophthalmoplegia.",
    "Gradenigo syndrome involves the sixth nerve.",
    "Miller Fisher syndrome includes ophthalmoplegia and ataxia.",
    "Flexner-Wintersteiner rosettes are seen in retinoblastoma.",
    "Sattler layer lies between Haller layer and the choriocapillaris.",
    "Zeis glands open at the lash follicles.",
    "Moll glands are apocrine sweat glands.",
    "Krause glands are accessory lacrimal glands.",
    "Whitnall ligament supports the levator.",
    "Cloquet canal runs through the vitreous.",
    "Wieger ligament attaches the hyaloid to the lens.",
    "Kjer optic atrophy is dominantly inherited.",
    "Hutchinson sign predicts ocular involvement in zoster.",
    "Wernicke encephalopathy causes nystagmus.",
]
PLACE_A = [
    "The fellowship in Boston focuses on retina.",
    "Screening programmes in Chennai reach rural villages.",
    "The trial recruited from London, Paris and Madrid.",
    "Cases were collected at Wills Eye and Bascom Palmer.",
    "Our unit in Madison sees many trauma cases.",
    "Johns Hopkins published the largest series.",
    "Outreach camps in Nairobi treat cataract blindness.",
    "Patients were referred from Sydney and Auckland.",
]
PLACE_B = [
    "The Aravind model spread from Madurai across India.",
    "Moorfields runs a virtual glaucoma clinic.",
    "Doctors in Lagos and Accra compared outcomes.",
    "The study ran in Jackson, Mississippi.",
    "Teleophthalmology links Singapore with outlying clinics.",
    "We trained in Dublin before moving to Toronto.",
    "The Mayo Clinic reported similar findings.",
    "A network in Texas and Florida shared images.",
]
DRUG_A = [
    "Lucentis and Eylea are given monthly at first.",
    "Avastin is used off-label for wet AMD.",
    "The Humphrey 24-2 field shows an arcuate defect.",
    "The Zeiss Cirrus scan shows subretinal fluid.",
    "Ozurdex implant reduced the macular oedema.",
    "Xalatan drops lower the pressure at night.",
    "The Heidelberg Spectralis tracks the same line each visit.",
    "The Optos image captures the far periphery.",
    "Beovu was switched to Vabysmo after inflammation.",
    "The Topcon camera took the colour photograph.",
]
DRUG_B = [
    "Iluvien releases fluocinolone for three years.",
    "Alphagan can cause a follicular conjunctivitis.",
    "The Pentacam map shows inferior steepening.",
    "Restasis improves tear film in dry eye.",
    "The IOLMaster measured an axial length of 24 mm.",
    "Tepezza reduces proptosis in thyroid eye disease.",
    "An iStent was placed during cataract surgery.",
    "The Octopus perimeter gave a similar result.",
    "Luxturna is a gene therapy for RPE65 disease.",
    "The Icare tonometer needs no anaesthetic.",
]
CLIN_A = [
    "The optic disc shows a cup-to-disc ratio of 0.8.",
    "Subretinal fluid is visible on the OCT.",
    "Cotton wool spots indicate nerve fibre layer infarcts.",
    "Visual acuity improved after treatment.",
    "The Retina Looks Flat After Surgery",
    "Central Serous Chorioretinopathy: A Review",
    "Dry Eye Management In Practice",
    "Grade the retinopathy using the international scale.",
]
CLIN_B = [
    "Geographic Atrophy Explained",
    "Neovascular Glaucoma Update",
    "The macula is thickened with cystoid spaces.",
    "Pigment Epithelial Detachment And Choroidal Neovascularization",
    "Hard exudates form a circinate ring.",
    "Rose Bengal stain highlights devitalised cells.",
    "Will the vision recover after a macular hole repair?",
    "Mark the fovea before the laser.",
]


def _name(first: str, last: str, rng: random.Random) -> str:
    # Mostly "First Last"; sometimes an initial or "Last First" order (some cultures write the surname first).
    r = rng.random()
    if r < 0.1:
        return f"{first[0]}. {last}"
    if r < 0.18:
        return f"{last} {first}"
    return f"{first} {last}"


def _row(text: str, names: list[str], category: str, half: str) -> dict[str, object]:
    spans = []
    for name in names:
        start = text.index(name)
        spans.append([start, start + len(name)])
    return {"text": text, "has_phi": bool(names), "spans": spans, "category": category, "half": half}


def build(half: str) -> list[dict[str, object]]:
    rng = random.Random(22 if half == "dev" else 2022)
    a = half == "dev"
    names = NAMES_A if a else NAMES_B
    titles = TITLES_A if a else TITLES_B
    rows = []

    def people(templates: list[str], category: str, count: int, title: bool = False) -> None:
        for i in range(count):
            first, last = names[rng.randrange(len(names))]
            name = f"{first} {last}" if title else _name(first, last, rng)
            template = templates[i % len(templates)]
            text = template.format(n=name, t=rng.choice(titles), year=rng.choice(range(2015, 2026)))
            if category == "title_description" and rng.random() < 0.3:
                text = text.upper() if rng.random() < 0.5 else text.title()
                name = name.upper() if text.isupper() else name.title()
            rows.append(_row(text, [name], category, half))

    people(BARE_A if a else BARE_B, "bare_name", 40)
    people(TITLED_A if a else TITLED_B, "titled_name", 15, title=True)
    people(VIDEO_A if a else VIDEO_B, "title_description", 25)
    people(INTRO_A if a else INTRO_B, "clinician_intro", 12, title=True)
    people(AUTHOR_A if a else AUTHOR_B, "author", 4)
    for text in EPONYM_A if a else EPONYM_B:
        rows.append(_row(text, [], "eponym", half))
    for text in PLACE_A if a else PLACE_B:
        rows.append(_row(text, [], "place", half))
    for text in DRUG_A if a else DRUG_B:
        rows.append(_row(text, [], "drug_device", half))
    for text in CLIN_A if a else CLIN_B:
        rows.append(_row(text, [], "clinical", half))
    return rows


def main() -> None:
    # dev2 comes last so the first two halves stay byte-identical to their first build.
    rows = build("dev") + build("heldout") + dev2.build(_row)
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} sentences -> {OUT}")


if __name__ == "__main__":
    main()
