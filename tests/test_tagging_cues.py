"""Design cue families that weigh against the words around them: cell work carried on into
animals, people who use a substance compared with people who do not, laboratory casework
counted in aggregate, isolated-tissue pharmacology, MeSH terms matched once per term, and
phrase-level outcome and design cues of the kratom literature (written for these tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kratomlit.jobs.tag_papers import document
from kratomlit.store import Store
from kratomlit.tagging.engine import Document, RuleSet, TagResult, matches, tag_document
from kratomlit.tagging.rules import load, parse_rules

from conftest import LABELS


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet(*load())


def _tagged(rules: RuleSet, title: str, abstract: str) -> TagResult:
    return tag_document(Document(title=title, abstract=abstract), rules)


def _doc(db: Path, pmid: int) -> Document:
    with Store(db) as store:
        return document(store.tag_source(store.find_paper("pmid", pmid))[1:])


@pytest.mark.parametrize("pmid", [25368326, 26702264])
def test_cells_carried_on_into_xenografts_or_in_vivo_make_an_animal_study(
        real_db: Path, rules: RuleSet, pmid: int) -> None:
    # TAXONOMY.md: a paper with both animal and in-vitro experiments is animal; the many
    # cell words around "xenograft" / "in vitro and in vivo" must not outweigh it.
    labelled = {int(row["pmid"]): row["design"]
                for row in map(json.loads, LABELS.read_text().splitlines())}
    assert labelled[pmid] == "animal"
    for doc in (_doc(real_db, pmid), Document(title=_doc(real_db, pmid).title,
                                              abstract=_doc(real_db, pmid).abstract)):
        result = tag_document(doc, rules)
        assert (result.design, result.population, result.n_participants) == (
            "animal", "animal", None)


def test_users_compared_with_non_users_are_a_cross_sectional_study(rules: RuleSet) -> None:
    # Laboratory words describe what was measured, not the design.
    doc = Document(title="Liver enzymes and blood lipids in people who use kratom daily",
                   abstract="We compared 40 daily kratom users with 40 non-users recruited from "
                   "the same villages. Serum ALT, AST and lipids were measured by automated "
                   "analysers, and mitragynine was quantified in plasma by LC-MS/MS.")
    result = tag_document(doc, rules)
    assert (result.design, result.population) == ("cross-sectional", "human")


def test_laboratory_casework_counted_in_aggregate_is_cross_sectional(rules: RuleSet) -> None:
    doc = Document(title="Mitragynine concentrations in postmortem blood",
                   abstract="We reviewed blood specimens submitted to a state toxicology "
                   "laboratory between 2015 and 2020. Mitragynine was quantified by a validated "
                   "LC-MS/MS method with a limit of quantification of 1 ng/mL.")
    assert tag_document(doc, rules).design == "cross-sectional"


def test_isolated_tissue_pharmacology_is_laboratory_work_though_a_species_is_named(
        rules: RuleSet) -> None:
    doc = Document(title="Mitragynine on the isolated guinea-pig ileum",
                   abstract="Contractions of guinea-pig ileum strips were recorded in an organ "
                   "bath after mitragynine and morphine.")
    result = tag_document(doc, rules)
    assert (result.design, result.population) == ("in-vitro", "in-vitro")


def test_mesh_terms_tag_the_same_on_every_paper_that_has_them(real_db: Path,
                                                                rules: RuleSet) -> None:
    # Which rules a MeSH term matches is worked out once per term: a second paper with the
    # same terms gets the same list evidence, in its own order.
    doc = _doc(real_db, 22508830)
    first = [e for e in tag_document(doc, rules).evidence if e.field in ("mesh",
                                                                       "publication_types")]
    again = [e for e in tag_document(doc, rules).evidence if e.field in ("mesh",
                                                                       "publication_types")]
    assert first and first == again
    fresh = [e for e in tag_document(doc, RuleSet(*load())).evidence
             if e.field in ("mesh", "publication_types")]
    assert fresh == first


@pytest.mark.parametrize(("title", "abstract"), [
    ("Kratom-related shipments refused at the border, 2015-2021",
     "We counted kratom-related shipments refused entry in customs records. Most came from "
     "Indonesia."),
    ("Reasons for kratom use in an online survey",
     "We surveyed 500 adults who used kratom in the past month. Most used kratom to manage "
     "opioid withdrawal or chronic pain, and 60% bought it online."),
    ("Pharmacokinetics of mitragynine in rats",
     "The results indicate the exposure of kratom consumers to the alkaloid."),
])
def test_a_reason_for_use_or_a_kratom_related_count_is_not_a_harm(
        rules: RuleSet, title: str, abstract: str) -> None:
    assert "safety" not in _tagged(rules, title, abstract).outcomes


@pytest.mark.parametrize(("title", "abstract"), [
    ("Heart rhythm in people who use kratom daily",
     "We recorded ECG parameters and QTc intervals in 80 adults who used kratom every day."),
    ("Unintentional kratom ingestion in young children",
     "We describe unintentional ingestions reported to two poison centres."),
    ("Mitragynine and memory in rats",
     "Rats received mitragynine for 28 days. Mitragynine impaired spatial learning in the water "
     "maze."),
    ("Constipation induced by kratom alkaloids in mice", ""),
    ("Accidental kratom powder ingestions in dogs", ""),
    ("Adulterants found in kratom capsules sold online", ""),
    ("Erectile dysfunction among men who drink ketum daily", ""),
    ("Interactions between kratom and quetiapine", ""),
    ("Serum creatinine and kidney function of daily kratom consumers", ""),
    ("Thyroid function in regular kratom users", ""),
    ("Hypothyroidism associated with mitragynine: a letter", ""),
    ("Mitragynine blocks the hERG channel in transfected cells", ""),
    ("Alkaloid inhibition of P-glycoprotein: potential for clinically relevant interactions",
     ""),
    ("Why adults use kratom: an online survey",
     "Respondents rated benefits and any unwanted effects on a five-point scale."),
    ("Paynantheine in mice", "Paynantheine, like morphine, reduced intestinal transit after "
     "oral dosing."),
    ("Mitragynine at high doses in zebrafish larvae",
     "Mitragynine showed convulsant effects above 50 µM."),
    ("Corynantheidine in a drug discrimination procedure with oxycodone-trained rats", ""),
    ("Telephone calls about mitragynine received by a national poisons information line", ""),
    ("Kratom use and problems among fishermen", ""),
    ("Coma following ingestion of a kratom extract", ""),
    ("Post-mortem concentrations of speciociliatine in 30 cases", ""),
    ("Mitragynine-positive deaths in a coroner's series", ""),
    ("Respiratory liability of 7-hydroxymitragynine in rats", ""),
    ("Kratom drinking in fishing villages",
     "In each village, dependence was measured by interview."),
    ("Ketum use at night markets",
     "Few respondents sought emergency medical care after drinking ketum."),
    ("Serum testosterone in men who drink kratom daily", ""),
    ("Cognitive function in daily kratom drinkers", ""),
    ("Sperm quality of rats given speciogynine", ""),
    ("Kratom use among rubber tappers",
     "Most respondents had tried to stop using kratom but were unable to."),
    ("Ketum drinking in southern Thailand",
     "The findings show a high level of dependence among daily drinkers."),
    ("Elements in kratom capsules",
     "Cadmium and lead were detected in all 18 capsule products tested."),
    ("Naloxone in mice given mitragynine", "Pharmacological blockade of opioid receptors with "
     "naloxone precipitated jumping and other withdrawal signs."),
    ("Mitragynine and ageing in nematodes",
     "Mitragynine shortened the mean lifespan of the worms by a fifth."),
    ("Kratom alkaloids and efflux transporters",
     "Paynantheine was a potent inhibitor of P-glycoprotein in MDCK cells."),
    ("Kratom alkaloids and the gut in mice",
     "Mice had delayed gastrointestinal transit after speciociliatine at 10 mg/kg."),
    ("Kratom and time-dependent CYP3A inhibitors", "Interactions between kratom and "
     "time-dependent CYP3A inhibitors were studied in human liver microsomes."),
    ("Kratom drinking in Pattani villages", "Many respondents were unable to stop."),
    ("Quitting kratom in the villages", "Many found it hard to quit because of muscle aches."),
    ("Opioid toxidrome in a kratom user", ""),
    ("Kratom ingestions in cats: cases reported to an animal poison control centre", ""),
    ("Kratom cocktail drinking among students",
     "One in five reported problems they attributed to the cocktail."),
])
def test_harms_named_by_what_was_measured_are_safety(rules: RuleSet, title: str,
                                                     abstract: str) -> None:
    assert "safety" in _tagged(rules, title, abstract).outcomes


@pytest.mark.parametrize(("title", "abstract"), [
    ("Kratom use among adults with social anxiety disorder",
     "We surveyed 200 adults with social anxiety disorder about their kratom use."),
    ("Kratom consumers and state bans",
     "We surveyed 900 consumers about their attitudes toward kratom regulation and bans."),
])
def test_an_anxiety_diagnosis_or_a_view_of_the_law_is_not_social(
        rules: RuleSet, title: str, abstract: str) -> None:
    assert "social" not in _tagged(rules, title, abstract).outcomes


@pytest.mark.parametrize(("title", "abstract", "outcome"), [
    ("Herbal product use in a nursing workforce",
     "We surveyed 400 nurses, who completed a self-administered, anonymous questionnaire on "
     "kratom and other botanicals.", "safety"),
    ("Mitragynine positivity among clients of addiction treatment services", "", "safety"),
    ("Kratom withdrawal in a 30-year-old man",
     "A 30-year-old man developed withdrawal after his state banned kratom.", "legal"),
    ("Speciogynine and locomotor activity in mice",
     "Mice received speciogynine. The results may inform kratom regulation.", "legal"),
    ("Kratom use reported at intake to a methadone clinic",
     "We reviewed intake records of adults treated for opioid use disorder.", "safety"),
    ("Kratom tea as a heroin withdrawal remedy: kratom for heroin withdrawal in a village", "",
     "safety"),
    ("Why people stop opioids with kratom",
     "Most interviewees said kratom helped them get through heroin withdrawal.", "safety"),
    ("Cholestatic hepatitis after kratom",
     "A 52-year-old woman with depression was admitted with pruritus. She had a history of "
     "anxiety. Liver tests normalised after kratom was stopped.", "mood"),
    ("Jaundice in a man who used kratom", "He took kratom powder for energy at work.",
     "social"),
    ("Mitragynine positivity in a chronic pain population",
     "Chart notes showed that some patients had disclosed kratom use.", "social"),
    ("Hypertensive crisis and kratom extract",
     "The patient, a 44-year-old teacher, became unwell in her workplace staff room.", "social"),
    ("Prolonged QT interval in a kratom user",
     "She had been taking mirtazapine for depression for a year before the event.", "mood"),
    ("Speciociliatine and operant responding in monkeys",
     "Monkeys responded for speciociliatine at high doses. These findings are critical to how "
     "agencies weigh drug scheduling.", "legal"),
    ("Kratom and shift work in hospital cleaners",
     "We interviewed 40 cleaners. Employer drug policy should be based on research rather than "
     "anecdote.", "legal"),
    ("Packaging of kratom sold in gas stations",
     "Label claims named focus, calm and opioid withdrawal support.", "safety"),
    ("Twelve kratom bills compared", "Bills differed in their adulteration clauses and age "
     "limits.", "safety"),
    ("Kratom and sleep in an online sample",
     "Poor sleep was more common in those with a past opioid use disorder.", "safety"),
    ("Speciogynine and body temperature in rats",
     "Speciogynine lowered core temperature. Our results underscore the need for kratom "
     "regulation.", "legal"),
    ("Reaction times before and after kratom ingestion in regular users", "", "safety"),
    ("Would a kratom ban do more harm than good?", "", "safety"),
    ("Sleep, kratom use and a history of opioid use disorder among veterans", "", "safety"),
    ("Mitragynine in decedents of one county",
     "Certified manners of death: accident (40), suicide (4) and undetermined (3).", "mood"),
    ("Reaction time in daily kratom drinkers",
     "Volunteers had no history of psychiatric illness and gave written consent.", "mood"),
    ("Kratom exposures among older adults", "Better product regulation is urgently needed.",
     "legal"),
    ("Mitragynine and weight gain in juvenile rats",
     "Treated rats gained less weight, highlighting the need for age limits in kratom policy.",
     "legal"),
    ("Advertising on kratom vendor pages",
     "Product claims included pain relief (52%), focus (30%) and better mood (21%).", "mood"),
    ("Advertising on kratom vendor pages",
     "Product claims included energy (41%) and relief of opioid withdrawal (12%).", "safety"),
    ("Potassium currents in transfected cells", "Voltage dependence was determined from tail "
     "currents.", "safety"),
    ("Medico-legal aspects of kratom in Malaysia", "", "safety"),
    ("An LC-MS/MS assay for mitragynine",
     "The method was validated to ensure regulatory compliance.", "legal"),
    ("Shoaling of a tidal channel", "Shoaling of the channel reduced the tidal range.", "social"),
    ("Speciociliatine and anxiety-like behaviour in mice", "Speciociliatine reduced anxiety-like "
     "behaviour. Its abuse potential should be taken into account.", "safety"),
    ("Paynantheine in a chronic stress model", "Paynantheine reversed stress-induced anhedonia; "
     "a risk of dependence with daily dosing warrants further study.", "safety"),
    ("Opinions on kratom in one state",
     "Respondents perceiving kratom as dangerous favoured a ban.", "safety"),
    ("Correlates of kratom use in college students",
     "Predictors associated with kratom use included male sex and living off campus.", "safety"),
    ("Speciogynine and brain stimulation reward in rats",
     "Speciogynine caused depression and facilitation of ICSS at different doses.", "mood"),
    ("Kratom product pages",
     "Product claims (e.g. pain, sleep or anxiety relief) appeared on 20% of pages.",
     "mood"),
    ("Serotonin syndrome with kratom and sertraline",
     "A 41-year-old man with a long history of major depressive disorder presented with clonus.",
     "mood"),
    ("Views on kratom laws", "Public support for a federal ban was low.", "social"),
    ("Kratom and sleep in a farmer", "He had no psychiatric history, depression or anxiety.",
     "mood"),
    ("Why men use kratom", "Men reported using kratom to boost testosterone and sexual function.",
     "safety"),
    ("Sleep in school-aged children", "Sleep problems in school-aged children were common.",
     "social"),
    ("Kratom use in patients on methadone for opioid use disorder", "", "safety"),
    ("Seizure in a rubber tapper", "He drank kratom tea for work, a traditional use in his "
     "district, and collapsed an hour later.", "social"),
    ("Cholestatic hepatitis in a ketum drinker", "A 52-year-old man had drunk kratom tea every "
     "morning for two years to relieve his anxiety before jaundice appeared.", "mood"),
    ("Kratom use in a national online panel", "Data came from the Researched Abuse, Diversion "
     "and Addiction-Related Surveillance (RADARS) System.", "safety"),
    ("Kratom use among young adults", "We analysed a national survey run by the Substance "
     "Abuse and Mental Health Services Administration.", "safety"),
    ("Kratom use among young adults", "We analysed a national survey run by the Substance "
     "Abuse and Mental Health Services Administration.", "mood"),
    ("Speciociliatine and analgesia in mice", "Pharmacological inhibition of CYP2D6 with "
     "quinidine left the analgesia unchanged.", "safety"),
    ("Interactions of corynantheidine with opioid and adrenergic receptors", "", "safety"),
    ("Energy over a day of kratom use",
     "In the hours after kratom use, people rated their energy higher.", "safety"),
    ("Kratom use and depression in a national sample",
     "Statistical interactions of kratom use and sex were tested.", "safety"),
    ("Mitragynine in pigeons", "The Drug Enforcement Administration once proposed to "
     "control kratom. Pigeons learned to discriminate morphine from saline.", "legal"),
    ("Kratom poisonings in toddlers",
     "Kratom alone or with other drugs was involved in 300 exposures.", "social"),
    ("Bipolar disorder in families", "Recurrence was higher among relatives of probands.",
     "social"),
    ("Hip fractures in Beijing", "Patients were treated at Beijing Friendship Hospital.",
     "social"),
    ("Trust in a health network", "The study had support from the local family medicine "
     "network.", "social"),
    ("Emotion in adolescence",
     "We measured beliefs about emotional regulation in 200 students.", "legal"),
    ("Upper gastrointestinal bleeding",
     "Endoscopists were unable to stop the bleeding in four patients.", "safety"),
    ("Nickel release from dental alloys", "Nickel was detected in all alloy samples.",
     "safety"),
    ("Itching and dark urine in a kratom user", "A 30-year-old man without liver disease who "
     "came in with itching and dark urine after using kratom powder (two teaspoons daily) for "
     "a month to self-treat anxiety.", "mood"),
    ("Unintentional kratom ingestion in toddlers",
     "Sales restrictions might reduce exposures in children.", "legal"),
    ("An adolescent who used kratom", "His cousin sold it to him as a 'legal high'.", "legal"),
    ("Kratom and anxiety",
     "We assessed social anxiety with the Liebowitz scale in 60 adults who use kratom.", "social"),
    ("A registry cohort", "Under Danish law, registry studies do not require ethics approval.",
     "legal"),
    ("Spectrophotometry of alkaloids", "Absorbance was linear under the Beer-Lambert law.",
     "legal"),
    ("Clinic attendance", "Text reminders and scheduling notices improved attendance.",
     "legal"),
    ("Jaundice in a kratom user",
     "A 27-year-old man, previously arrested for drug possession, came in with jaundice.",
     "legal"),
    ("Kratom in police drug seizures",
     "We analysed drug seizures by police in three provinces from 2015 to 2020.", "safety"),
    ("How kratom works", "Kratom acts on opioid and adrenergic receptors.", "legal"),
    ("Ageing genes in worms", "RNAi knockdown of daf-16 shortened lifespan in C. elegans.",
     "safety"),
    ("Reversing multidrug resistance",
     "Tariquidar, a P-glycoprotein inhibitor, reversed multidrug resistance.", "safety"),
    ("Antidiarrhoeal activity of a ketum leaf extract", "Reduction of gastrointestinal transit "
     "by the kratom extract matched loperamide in diarrhoeic rats.", "safety"),
    ("Kratom seizures by the police in southern Thailand", "", "safety"),
    ("An LC-MS/MS method for mitragynine in blood",
     "The method can confirm kratom exposure in forensic casework.", "safety"),
    ("Worry in daily life", "Once worry began it was hard to stop.", "safety"),
    ("Kratom exports", "A federal ban would cost jobs in the export sector.", "social"),
    ("Opioid treatment programmes in Kentucky",
     "Programme details came from the state's licensing database.", "legal"),
    ("Death after kratom and sertraline", "Mitragynine measured 0.4 mg/L in heart blood; an "
     "antidepressant, sertraline, was also detected.", "mood"),
    ("Memory after general anaesthesia", "A mandatory recall visit at 12 months tested free "
     "recall of word lists.", "legal"),
    ("Drug safety signals in primary care", "Adverse drug reactions from community pharmacists "
     "were coded.", "social"),
    ("Discharge against medical advice in a children's ward", "The parents threatened to leave "
     "against medical advice.", "social"),
    ("Pregnancy toxicosis in Boer goats", "Ketone bodies were measured in 40 does.", "safety"),
    ("Childhood trauma and kratom", "Kratom users reported more adverse childhood events than "
     "non-users.", "safety"),
    ("Kratom use among veterans with traumatic brain injury", "", "safety"),
    ("Colorectal screening uptake", "We examined the role of family history in screening "
     "uptake.", "social"),
    ("Mood in kratom drinkers", "Drinkers and non-drinkers had similar age, marital status and "
     "income.", "social"),
    ("Consumers' regulatory wishes", "Respondents' attitudes about restrictions such as age "
     "limits or a statewide prohibition were rated.", "social"),
    ("Hiding kratom use from clinicians", "Stigma was scored with the Substance Abuse "
     "Self-Stigma Scale.", "safety"),
    ("Drinking among kratom consumers", "The questionnaire included the Alcohol Use Disorders "
     "Identification Test.", "safety"),
    ("Salmonella after kratom", "Its seller later withdrew the lot in a voluntary recall.",
     "legal"),
    ("Kratom users in three villages", "Addiction Severity Index family scores were low.",
     "safety"),
    ("Kratom chewing by fishermen", "Data came from a survey run by a national institute of "
     "addiction research.", "safety"),
    ("Kratom vendors and the DEA", "Vendors' mitragynine sales recovered after withdrawal of "
     "the notice.", "safety"),
    ("Kratom tea given to rats", "The tea doubled systemic mitragynine exposure relative to "
     "the isolated alkaloid.", "safety"),
    ("Kratom in a state youth survey", "Only a minority of pupils perceived high risk in using "
     "kratom regularly.", "safety"),
    ("Positive effects associated with kratom consumption: an overview", "", "safety"),
    ("Kratom and farming communities: a review", "Services might focus on preventing "
     "problematic use among young men.", "safety"),
    ("Kratom sellers and the law", "Shop owners' attitudes towards regulating kratom were "
     "scored on Likert items.", "social"),
    ("Kratom and new mothers", "Links to the questionnaire were shared in online parenting "
     "groups.", "social"),
    ("Self-administration of 7-OH in rats", "Regulatory decisions should separate the two "
     "alkaloids.", "legal"),
    ("Kratom among students", "Following the removal of kratom from the narcotics list, use "
     "among students is a concern. We surveyed 500 students.", "legal"),
    ("Mitragynine exposure in adolescence and play in rats", "", "safety"),
    ("Mitragynine in beagle dogs", "Mitragynine exposure rose with dose, and bioavailability "
     "was 21%.", "safety"),
    ("Kratom and breathing in volunteers", "Volunteers were hooked up to a pulse oximeter.",
     "safety"),
    ("Nerve monitoring in a kratom user's thyroid surgery", "The nerve was hooked and gently "
     "retracted.", "safety"),
    ("Kratom and opioid tapering", "Patients tapered off opioids without causing withdrawal.",
     "safety"),
    ("Kratom use and living arrangements", "Participants living alone versus with others had "
     "similar use.", "social"),
    # A paw or hand withdrawn from heat or cold measures pain, not drug withdrawal.
    ("Analgesic effects of mitragynine in rats", "Mitragynine prolonged paw withdrawal latency "
     "in the hot plate test.", "safety"),
    ("Pain tolerance after kratom", "Hand withdrawal after kratom was slower than after placebo "
     "in the cold pressor test.", "safety"),
    ("Predictors of kratom use", "Past-month kratom use was the dependent variable.", "safety"),
    # Withdrawal from another drug that mitragynine eases is that drug's harm.
    ("Effects of mitragynine in a mouse model", "Mitragynine reduced jumping and weight loss "
     "during naloxone-precipitated morphine withdrawal in mice.", "safety"),
    # Guard: kratom taken together with alcohol is co-use, not company.
    ("Kratom and alcohol", "Respondents often drank kratom together with alcohol.", "social"),
    # Anxiety among the bodily signs of withdrawal, claims a vendor makes, a reason for use
    # or a condition a patient has are no mood outcome.
    ("Kratom dependence treated with buprenorphine", "Each attempt to stop brought sweating, "
     "yawning, diarrhoea and anxiety within a day.", "mood"),
    ("Kratom vendors online", "Health claims appeared on 35% of vendor sites, most often for "
     "pain, anxiety or fatigue.", "mood"),
    ("Kratom vendors online", "Half the sites made a health claim (pain 40%, depression 12%).",
     "mood"),
    ("Kratom and acute lung injury", "He had been taking kratom, bought from an online shop, for "
     "months to manage anxiety.", "mood"),
    ("Mitragynine in a fatal overdose", "A 47-year-old man with hypertension and depression was "
     "found dead at home.", "mood"),
    ("Kratom before a seizure", "She had a history of migraine, insomnia and depression, and took "
     "kratom capsules each morning.", "mood"),
    ("A death involving kratom", "No suicide note was left at the home.", "mood"),
    # Guards from the second reader: proteins' roles, negated impairment, a caveat after
    # the withdrawal eased.
    ("Apoptosis in tumour cells", "Bcl-2 family roles in mitochondrial apoptosis were examined.",
     "social"),
    ("Mitragynine and motor function", "Mitragynine impaired neither spatial memory nor motor "
     "coordination.", "safety"),
    # A drink that gives energy, a response depressed, a study's bearing on regulation, a
    # committee's name, a pharmacokinetic exposure, a metabolite formed after use, police
    # seizures, another drug's withdrawal modelled or eased.
    ("Kratom at the roadside", "Most buyers at the stalls mixed kratom into an energy drink "
     "to work through the night.", "social"),
    ("Mitragynine and brain stimulation reward in rats", "Mitragynine depressed ICSS at high "
     "doses, and this depression was not reversed by naloxone.", "mood"),
    ("Mitragynine self-administration in rats", "Rats did not self-administer mitragynine, "
     "findings that carry implications for regulation of kratom products.", "legal"),
    ("Kratom before the WHO", "The Expert Committee on Drug Dependence met in 2021 to consider "
     "kratom.", "safety"),
    ("Food and mitragynine absorption", "Mitragynine exposure was 2.5-fold higher after a meal "
     "than when fasting.", "safety"),
    ("Metabolites of mitragynine", "7-Hydroxymitragynine was formed in plasma after kratom "
     "ingestion in all volunteers.", "safety"),
    ("Kratom arrests and seizures after the 2021 reform", "", "safety"),
    ("Mitragynine in zebrafish", "Zebrafish are used to model opioid withdrawal; here "
     "mitragynine was given to morphine-withdrawn fish.", "safety"),
    ("Mitragynine in morphine-dependent rats", "Mitragynine relieved the somatic features of "
     "morphine withdrawal.", "safety"),
    # Guards: outcome words among the covariates adjusted for are still no outcome.
    ("Kratom and pain", "After adjusting for depression and anxiety, kratom use was associated "
     "with lower pain scores.", "mood"),
    ("Kratom survey", "Odds ratios were adjusted for age, employment and marital status.",
     "social"),
    # Guards: a research setting, a history or a comparison group is no social context.
    ("Cholestasis in a kratom user", "He had obtained kratom from a friend to ease withdrawal.",
     "social"),
    ("Kratom users in Selangor",
     "Participants were recruited with support from community-based organisations.", "social"),
    ("Tapering kratom online", "Forum members shared dosing advice and tapering schedules.",
     "social"),
    ("Liver tests in kratom drinkers",
     "ALT was higher than in peers who consumed neither kratom nor alcohol.", "social"),
    ("Development of a kratom dependence scale",
     "The items were first pilot-tested with a group of colleagues.", "social"),
    ("Kratom use in an online panel",
     "After age verification, 1,200 respondents completed the survey.", "legal"),
    ("Maternal kratom use and the newborn",
     "Maternal behaviours such as smoking during pregnancy were recorded.", "social"),
    # Guards: a mechanism, a statute's name, tolerance of a custom, a job lost before use.
    ("Mitragynine in the light-dark box", "Mitragynine reduced anxiety-like behaviour through "
     "interactions with opioid and GABAergic systems.", "safety"),
    ("Ketum policy in Malaysia", "We traced how kratom came under the Dangerous Drugs Act.",
     "safety"),
    ("Kratom in a fishing village",
     "Elders generally tolerated kratom use by older men but not by youths.", "safety"),
    ("Kratom dependence in a 38-year-old man",
     "He began drinking kratom daily after losing his job at a sawmill.", "social"),
    ("Kratom for the emergency physician",
     "Patients take kratom for pain, fatigue and anxiety, and calls to poison centres are rising.",
     "mood"),
    ("Kratom use in an online panel", "Participants completed age verification on the study "
     "website before giving consent.", "legal"),
    ("Offspring of mothers in a birth cohort",
     "Gestational diabetes exposure was associated with higher BMI at age 5.", "safety"),
    ("Kratom law reform in Thailand",
     "Community support of decriminalisation was strong in all provinces.", "social"),
    ("Web searches for kratom after the ban",
     "Queries for kratom withdrawal and kratom overdose rose in the month after.", "safety"),
])
def test_a_setting_or_a_passing_mention_is_not_an_outcome(
        rules: RuleSet, title: str, abstract: str, outcome: str) -> None:
    assert outcome not in _tagged(rules, title, abstract).outcomes


@pytest.mark.parametrize(("title", "abstract", "outcome"), [
    ("Kratom toxicosis in two cats", "Both cats became sedated after eating kratom capsules "
     "left on a table.", "safety"),
    ("Supratherapeutic cyclosporine levels in a heart transplant recipient who drank kratom "
     "tea", "", "safety"),
    ("Kratom and motherhood", "Of 300 mothers surveyed, 41 said they had taken kratom during a "
     "pregnancy.", "safety"),
    ("Kratom calls to one poison control service", "A quarter of the calls concerned "
     "intentional self-harm.", "mood"),
    ("Psychiatric and cardiac adverse events in kratom reports to regulators", "", "mood"),
    ("A student dependent on kratom", "He missed nine days of school that term while dosing "
     "kratom.", "social"),
    ("Relapse to kratom in a teacher", "Her partner threatened to divorce her when she "
     "relapsed.", "social"),
    ("Kratom use in Kedah: an interview study", "Participants described community and family "
     "reactions to chewing the leaf.", "social"),
    ("Kratom products and Salmonella", "Regulators issued an FDA recall order for two brands.",
     "legal"),
    ("Kratom tea and skin colour", "We consider the rash an adverse skin reaction from daily "
     "kratom drinking.", "safety"),
    ("Acute kidney injury after drinking a kratom extract", "", "safety"),
    ("Villagers' views of ketum", "Chewers called the leaf's dependence-producing properties "
     "normal.", "safety"),
    ("Kratom drinking in high schools: the role of friends and parents", "", "social"),
    ("Police and kratom users", "We asked about the consequences for their family and work "
     "of being fined.", "social"),
    ("Kratom use and family life over two years", "Each follow-up visit recorded job changes "
     "and changes in marital status.", "social"),
    ("Catalepsy and climbing in mice given a kratom extract", "The extract showed "
     "antipsychotic-like activity at 100 mg/kg.", "mood"),
    ("Kratom sales to teenagers", "We measured compliance with age restrictions through "
     "underage purchase attempts at 90 shops.", "legal"),
    ("Stopping kratom abruptly: one patient's course", "A 40-year-old man with hypertension "
     "and anxiety developed psychosis three days after stopping kratom.", "mood"),
    ("Mitragynine after unpredictable stress in rats", "Antidepressant efficacy was identified "
     "at 10 mg/kg.", "mood"),
    ("Kratom and paranoia in a courier", "Over a month he grew socially isolated and stopped "
     "answering calls.", "social"),
    ("Heavy kratom use in a nursing student", "She stopped attending her college classes "
     "during heavy use.", "social"),
    ("Peer and school influences on kratom drinking among teenagers", "", "social"),
    ("Kratom chewing in Pattani since the leaf was delisted from the narcotics schedule", "",
     "legal"),
    ("Kratom sales in two provinces", "Sales volumes were compared before and after the legal "
     "reform in Thailand.", "legal"),
    ("Compliance of kratom websites with federal advertising rules", "", "legal"),
    ("Kratom searches online", "Searches for the leaf rose around two federal regulatory "
     "events.", "legal"),
    ("Kratom among veterans", "Users answered twelve items on problematic drug use.", "safety"),
    ("Mitragynine in a nursing mother", "Mitragynine passed into breast milk at low levels.",
     "safety"),
    ("Neonatal exposure to mitragynine through nursing", "", "safety"),
    ("Reversible vasoconstriction syndrome after combined kratom and cocaine use", "",
     "safety"),
    ("Death of a teenager after mixed use of kratom and alcohol", "", "safety"),
    ("A kratom blend in a hotel room", "The man was found dead in the morning.", "safety"),
    ("Kratom extract and the testes of rats", "Daily dosing impaired fertility in male rats at "
     "the highest dose.", "safety"),
    ("Kratom use among veterans", "We compared age, income and mental-health scores "
     "of users.", "mood"),
    ("Kratom drinking in Yala schools", "We examined peer, school and family influences on "
     "use.", "social"),
    ("Where people take kratom", "Most said they took it alone versus with others.",
     "social"),
    ("Use of the kratom cocktail in Pattani", "Interviewers asked about health problems after "
     "drinking the cocktail.", "safety"),
    ("Kratom users in treatment", "We asked about tolerance, withdrawal and loss of control.",
     "safety"),
    ("Living with kratom", "Several interviewees gave accounts of withdrawal once their "
     "supply was gone.", "safety"),
    ("Ketum in Perlis", "Most men admitted they were 'hooked' on the drink.", "safety"),
    ("Kratom in a rehabilitation ward", "Half the men were hooked on the leaf before "
     "admission.", "safety"),
    ("Kratom forums", "Posters were surprised that a herb could cause withdrawal.", "safety"),
    ("Mitragynine: chemistry, pharmacology and toxicology", "", "safety"),
    ("The toxicology of kratom", "", "safety"),
    # Guard: animal poisonings reported to a poison line stay safety.
    ("Kratom in veterinary practice", "Kratom exposures in 40 dogs reported to a poison line "
     "were reviewed.", "safety"),
    ("Mitragynine and long-term potentiation", "Mitragynine markedly impaired long-term "
     "potentiation in hippocampal slices from treated rats.", "safety"),
    ("Ketum drinkers in Kedah", "The men usually drank it together at the coffee shop in the "
     "evening.", "social"),
    ("Daily life with kratom", "Each evening, participants noted with whom they had used "
     "kratom.", "social"),
    ("Stopping kratom", "Interviewees described rebuilding trust with their children.", "social"),
    ("Recovery with kratom", "Interviewees spoke of resuming work and family roles.", "social"),
    ("Mitragynine and reward in mice", "Repeated mitragynine produced no anhedonic effect in the "
     "sucrose test.", "mood"),
    # Guards: low mood or a mood measure beside the bodily signs, a condition that then
    # improved, a harm found beside the claims, keep their outcome.
    ("Kratom withdrawal", "On stopping he had diarrhoea and yawning, with marked anxiety and low "
     "mood.", "mood"),
    ("Kratom withdrawal and mood", "Withdrawal symptoms included diarrhoea, yawning and anxiety, "
     "and GAD-7 scores rose from 4 to 12.", "mood"),
    ("Mitragynine withdrawal in mice", "After stopping the drug, mice showed diarrhoea, wet-dog "
     "shakes and anxiety-like behaviour in the elevated plus maze.", "mood"),
    ("Kratom and sertraline", "A 39-year-old woman with hypertension and depression improved "
     "after kratom was stopped.", "mood"),
    ("Kratom product labels", "Product claims appearing on labels included relief of opioid "
     "withdrawal, and Salmonella was detected in 4 of 45 products.", "safety"),
    ("Mitragynine in morphine-withdrawn mice", "Mitragynine attenuated the signs of morphine "
     "withdrawal, but repeated doses produced tolerance of their own.", "safety"),
    # An adjusted association reports its outcome; the covariates are something else.
    ("Kratom in a national sample", "After adjusting for age, sex and "
     "region, weekly kratom use was associated with lower odds of anxiety.", "mood"),
    ("Kratom in a rural district", "Regular users reported more family conflict than "
     "non-users after controlling for household size.", "social"),
    ("Reproductive hormones among long-term kratom users", "", "safety"),
    ("Adrenal insufficiency in a man who drank kratom daily", "", "safety"),
    ("Seizures in an adolescent who used kratom", "", "safety"),
    ("Neurocognitive performance among daily kratom chewers in Thailand", "Chewers and "
     "non-chewers completed the same tests.", "safety"),
    ("Pulmonary oedema following ingestion of an herbal powder", "", "safety"),
    ("Mitragynine in a breastfed infant", "We measured the transfer of mitragynine into breast "
     "milk in one mother.", "safety"),
    ("Mitragynine and caffeine in rats", "We studied the influence of mitragynine on the "
     "pharmacokinetics of caffeine given by gavage.", "safety"),
    ("Kratom use in a national panel", "Respondents rated their life satisfaction on a "
     "five-item scale.", "mood"),
    ("Kratom in an urban health system", "We counted emergency department presentations "
     "involving kratom from 2016 to 2022.", "safety"),
    ("Kratom calls in three states", "We reviewed poison center exposures involving kratom "
     "reported between 2018 and 2023.", "safety"),
    ("Kratom and the WHO", "The committee decided kratom should stay outside international "
     "control.", "legal"),
    ("Hyponatraemia secondary to heavy tea intake in a kratom user", "", "safety"),
    ("Cholestatic hepatitis with pruritus in a man taking kratom for back pain", "", "safety"),
    ("Kratom chat on a forum", "Posts on tapering and withdrawal made up a fifth of threads.",
     "safety"),
    ("Mitragynine dosing in rats", "Seven days of dosing altered hepatic CYP2D activity.",
     "safety"),
    ("Kratom and the opioid crisis: regulatory dilemmas", "", "legal"),
    ("Kratom sales after the 2016 DEA announcement", "We tracked vendor listings by week.",
     "legal"),
    ("Two kratom alkaloids in 2016", "The agency published a notice of intent to "
     "temporarily schedule them.", "legal"),
    ("Daily kratom users followed for a year", "At 12 months employment remained at 80%.",
     "social"),
    ("Kratom use disorder in a bus driver", "He had missed shifts and received a written "
     "warning from his employer.", "social"),
    ("Buprenorphine for kratom dependence", "After induction she returned to full duties and "
     "took on extra shifts.", "social"),
    ("Treating kratom dependence", "His partner reported fewer arguments and more involvement "
     "in their household.", "social"),
    ("Motives for kratom use", "A motives scale measured coping, social and enhancement "
     "reasons.", "social"),
    ("Kratom: a narrative review", "This review covers human data. Dependence develops in "
     "a minority of daily users.", "safety"),
    ("Kratom and psychiatric symptoms: a scoping review", "We mapped the human studies. Case "
     "reports described mania and suicidal ideation.", "safety"),
    ("A woman who took kratom for depression", "Later, attempts to cut down brought on "
     "restlessness and insomnia.", "safety"),
    ("Kratom in a man with bipolar disorder", "The case shows that benefit may give way to "
     "tolerance, dependence and withdrawal.", "safety"),
    ("Kratom shots from convenience stores", "Several products contained undeclared "
     "synthetic opioids.", "safety"),
    ("Kratom use among people cutting down on drinking", "We asked about any problems "
     "participants attribute to kratom.", "safety"),
    ("Hypotension after ingestion of a concentrated kratom extract", "", "safety"),
    ("Kratom in review", "We weigh its benefits against the risks of dependence.", "safety"),
    ("Kratom use in high-school students", "We examined family and peer characteristics "
     "associated with use.", "social"),
    ("Concentrated 7-OH products", "We discuss the federal recommendation to schedule 7-OH "
     "and state-level restrictions.", "legal"),
    ("Kratom in recovery: interviews", "Participants feared that kratom would be banned.",
     "legal"),
    ("Kratom users in treatment", "In all, 27% said they had come to feel dependent on "
     "kratom itself.", "safety"),
    ("Kratom on a forum", "We coded posts about stopping kratom.", "safety"),
    ("Withdrawal-induced anxiety following repeated mitragynine in rats", "", "safety"),
    ("Kratom in an international drug survey", "Measures covered positive and negative effects "
     "of use.", "safety"),
    ("Kratom use disorder in a teenager", "He withdrew from his friends, and after treatment "
     "he returned to school.", "social"),
    ("Kratom during an opioid taper", "He reported improved relations with his family.",
     "social"),
    ("Families of kratom users", "Wives said their husbands became moody when they could not "
     "get it.", "mood"),
    ("Pharmacists and kratom", "We asked for views on how the products should be regulated.",
     "legal"),
    # Guards from a second reader: kratom's own withdrawal eased by a taper or a drug, and
    # a harm in a model of another drug's dependence, stay safety.
    ("Kratom users", "We surveyed users. Attempts to reduce or stop kratom use led to "
     "withdrawal symptoms in 29%.", "safety"),
    ("Mitragynine in mice", "In nicotine-dependent mice, high-dose mitragynine produced "
     "respiratory depression and seizures.", "safety"),
    # Guards: a use disorder treated or in a patient's history leaves the harm beside it,
    # and a mood measured after a list of reasons for use is still measured.
    ("Mitragynine in rats", "Mitragynine, a candidate treatment for opioid use disorder, was "
     "self-administered by rats.", "safety"),
    ("Kratom users online", "Among people who use kratom for pain, to manage withdrawal, or "
     "for energy, comorbid depression and anxiety were common.", "mood"),
    ("Kratom users online", "Respondents who take kratom for pain, to ease withdrawal, or for "
     "focus endorsed depression as a current diagnosis.", "mood"),
    ("Hypothyroidism associated with kratom use in a woman in recovery from opioid use "
     "disorder", "", "safety"),
])
def test_outcomes_named_the_way_kratom_papers_name_them(
        rules: RuleSet, title: str, abstract: str, outcome: str) -> None:
    assert outcome in _tagged(rules, title, abstract).outcomes


@pytest.mark.parametrize(("title", "abstract", "design"), [
    ("Herbal product use in a nursing workforce",
     "We surveyed 400 nurses, who completed a self-administered, anonymous questionnaire on "
     "kratom and other botanicals.", "cross-sectional"),
    ("Mitragynine enquiries to poisons information centres in two countries", "",
     "cross-sectional"),
    ("Kratom in Twitter posts and YouTube content", "", "cross-sectional"),
    ("Seizures with mitragynine: a systematic review of case reports and case series", "",
     "systematic-review"),
    ("Blood pressure in daily kratom drinkers",
     "Drinkers and non-users from three villages were enrolled, and we followed them for two "
     "years.", "cohort"),
    ("Kratom use, mood and sleep in an online survey panel: a prospective cohort study",
     "Respondents answered the survey questionnaire three times.", "cohort"),
    ("Pupil size after single doses of mitragynine in healthy adults", "", "controlled-trial"),
    ("Mitragynine capsules for chronic pain",
     "This protocol describes a trial. Adults will be randomised to mitragynine or placebo in "
     "a double-blind design.", "other"),
    ("Aspirin in sepsis",
     "Patients were randomized to aspirin or placebo in a double-blind trial. Mortality was "
     "lower with aspirin. A phase III trial in which 1,000 patients will be randomized is "
     "planned.", "rct"),
    ("Dependence among ketum drinkers",
     "Questionnaire items adapted from focus groups with users were administered to 300 "
     "adults who drink ketum.", "cross-sectional"),
    ("Kratom users' accounts of cutting down",
     "We interviewed 20 adults. Themes were developed from the transcripts by thematic "
     "analysis.", "qualitative"),
    ("Kratom and craving in daily life",
     "Adults who use kratom were recruited online and followed for 14 days with smartphone "
     "prompts.", "cohort"),
    ("Liver stiffness in kratom users", "We compared 60 users with 60 non-using controls.",
     "cross-sectional"),
    ("Kratom imports, 2015-2022", "Monthly volumes of kratom shipments came from customs data.",
     "cross-sectional"),
    ("Kratom in convenience stores",
     "Trained auditors visited 150 outlets and recorded product forms, prices and warning "
     "labels.", "cross-sectional"),
    ("Mitragynine in urine specimens from pain clinics",
     "Urine specimens received from patients at 20 clinics were analysed by LC-MS/MS. The "
     "positivity rate was 1.1%.", "cross-sectional"),
    ("Deaths with mitragynine detected",
     "Reports were identified by a systematic search. We included case reports and medical "
     "examiner series describing deaths with mitragynine detected.", "systematic-review"),
    ("Kratom in the United States, 2011-2017",
     "We included all kratom exposures reported to the National Poison Data System.",
     "cross-sectional"),
    ("Municipal kratom ordinances in one state",
     "This legal epidemiology study describes 60 city ordinances and which of them mandated "
     "third-party laboratory testing.", "other"),
    ("Mitragynine concentrations in capsules sold under consumer protection acts",
     "Capsules were analysed by UPLC-MS/MS.", "in-vitro"),
    ("A history of kratom in Malay village life",
     "The article draws on colonial reports and older ethnographic accounts of kratom chewing.",
     "review"),
    ("Mitragynine in urine drug testing specimens, 2018-2022",
     "Specimens were analysed by LC-MS/MS; 2% were positive.", "cross-sectional"),
    ("Compliance of smoke shops with a kratom consumer protection act",
     "Trained buyers visited 80 shops and recorded whether age was checked.", "cross-sectional"),
    ("A urine assay for mitragynine", "Drug-free urine drug testing samples were fortified "
     "with mitragynine and analysed by LC-MS/MS.", "in-vitro"),
    ("Kratom in a fishing village: an ethnography",
     "This study draws on 14 months of ethnographic fieldwork and in-depth interviews with 30 "
     "villagers.", "qualitative"),
    ("Kratom and masculinity",
     "Building on our previous ethnographic work, we held focus groups with 40 men.",
     "qualitative"),
    ("Kratom alkaloids: phytochemistry, pharmacognosy and biosynthesis", "", "review"),
    ("Kratom in emergency psychiatry", "We examined results of urine drug screens ordered for "
     "all patients seen over one year.", "cross-sectional"),
    ("Mitragynine and midazolam: a physiologically based pharmacokinetic model",
     "In vitro studies supplied the inhibition constants for the model.", "other"),
    ("Kratom and opioid recovery: a qualitative study",
     "We interviewed 25 adults recruited through online forums.", "qualitative"),
    ("Kratom: what family physicians should know", "", "review"),
    ("Kratom and the liver", "Two reviewers independently screened "
     "records; a PRISMA flow chart summarises study selection.", "systematic-review"),
    ("Neonatal withdrawal in two infants of mothers who used kratom", "Two infants were "
     "admitted to the neonatal unit with tremor. Both were discharged on day 9.", "case-report"),
    ("Kratom-related emergency visits at one academic centre", "AIM: To characterise adults "
     "who presented to an emergency department with kratom-related complaints. METHODS: "
     "Records from 2017 to 2021 were reviewed.", "cross-sectional"),
    ("Coming off opioids with kratom", "We held semi-structured phone interviews with 22 "
     "people who quit opioids with kratom.", "qualitative"),
    ("Kratom: what family medicine physicians need to know", "", "review"),
    ("Mitragynine in urine drug testing at addiction clinics", "Of 98,214 urine specimens "
     "tested, 1,540 were positive for mitragynine. Positive specimens often held fentanyl.",
     "cross-sectional"),
    ("Kratom web searches and state bans",
     "Weekly Google search volumes for kratom were compared before and after each state ban.",
     "cross-sectional"),
    ("Haemodynamic effects of paynantheine in anaesthetised rats and isolated rabbit hearts",
     "Paynantheine raised blood pressure in vivo; isolated hearts were perfused at three "
     "concentrations.", "animal"),
    ("Mitragynine stability in urine", "Blank urine was fortified with mitragynine. Of the "
     "2,700 specimens analysed, losses were below 10%.", "in-vitro"),
    ("Kratom use disorder in a clinic", "Kratom use disorder was assessed with a "
     "semi-structured clinical interview in 300 regular users.", "cross-sectional"),
    ("Acute kratom toxicity in two adults", "Two patients presented to the emergency "
     "department after ingesting a kratom extract.", "case-report"),
    ("Kratom use in Texas adults", "A structured telephone interview was given to a random "
     "sample of 1,200 adults.", "cross-sectional"),
    ("Isoniazid and the liver", "Adults starting isoniazid were followed for 9 months. "
     "Results of blood tests performed on all patients monthly were reviewed.", "cohort"),
    ("Mitragynine in a screening programme", "Mitragynine was found in 31 of 2,040 screened "
     "drivers, most of them young men.", "cross-sectional"),
    ("Kratom, pain and sleep in everyday life", "For three weeks, 120 adults who take kratom "
     "answered phone prompts four times a day, and multilevel models estimated within-person "
     "changes in pain after each dose.", "cohort"),
    ("Why adults take kratom: baseline data from an ecological momentary assessment study",
     "Before 14 days of smartphone prompts, 250 adults completed a baseline survey on reasons "
     "for use.", "cross-sectional"),
    ("Mitragynine for low mood: a look at the evidence", "Rodent studies show shorter "
     "immobility in the forced swim test and more open-arm time in the elevated plus maze "
     "after mitragynine. This article reviews what such findings mean for people.", "review"),
    ("Kratom and hyponatraemia: a case report and systematic review", "A 40-year-old woman "
     "presented with confusion after daily kratom tea. We searched PubMed and Embase for "
     "similar patients and included 11 reports.", "systematic-review"),
    ("Kratom exposure before birth at one hospital", "METHODS: We reviewed all births "
     "between 2017 and 2021 with mitragynine in maternal urine. RESULTS: Neonatal withdrawal "
     "developed in 11 of 19 infants.", "cross-sectional"),
    ("Kratom shots at gas stations: an audit of convenience stores in Ohio", "",
     "cross-sectional"),
    ("How kratom is shown on Instagram: the 100 most-liked posts", "", "cross-sectional"),
    ("Kratom and the liver: what clinicians see", "This article reviews published case "
     "series and pharmacovigilance reports of hepatotoxicity. Most of the people described "
     "were young men with jaundice.", "review"),
    ("Pharmacy students' knowledge and attitudes about kratom and the legal status of herbal "
     "products", "In 2023, 410 students completed a questionnaire in class.", "cross-sectional"),
    ("Kratom calls in one state", "This article describes kratom exposures reported to a state "
     "poison center network. Of 187 exposures, 60% involved men.", "cross-sectional"),
    ("Kratom talk online", "We analysed the most popular posts in a kratom forum using "
     "grounded theory.", "qualitative"),
    ("Kratom use in everyday life", "After a baseline survey, 80 adults who use kratom "
     "completed smartphone surveys five times a day for 14 days.", "cohort"),
    # Guards: how often people take kratom is not prompting, a crossover trial's
    # within-person effects make no cohort, a study's own ethnographic work stays
    # qualitative, rodent studies cited beside an experiment's results keep it animal, and
    # literature drawn on for theory does not make an interview study a review.
    ("Kratom tea drinking among rice farmers in Kelantan", "We interviewed 210 farmers with a "
     "structured questionnaire. Most said they drank kratom tea three times daily, before and "
     "after work.", "cross-sectional"),
    ("Mitragynine and oxycodone in people who use opioids", "In a randomised double-blind "
     "crossover study, 16 volunteers received mitragynine, oxycodone and placebo on separate "
     "days. Within-person effects on drug liking and pupil size were compared.", "rct"),
    ("Kratom in Perak: an ethnographic study", "We conducted ethnographic studies in three "
     "Malay villages, living with 38 men who chew kratom leaves.", "qualitative"),
    ("Mitragynine in the forced swim test", "Male mice received mitragynine (10 mg/kg). "
     "Mitragynine reduced immobility time in the forced swim test, in line with what earlier "
     "rodent studies have shown for opioid agonists.", "animal"),
    ("Stigma among people who use kratom", "Drawing on the sociological literature on stigma, "
     "we conducted semi-structured interviews with 25 people who use kratom.", "qualitative"),
    ("Kratom and fatal poisoning: a systematic review of autopsy cases", "Case series and "
     "single reports about decedents with mitragynine at autopsy were included. We obtained "
     "data on circumstances from each paper. In all, 35 articles reporting 90 deaths were "
     "found; decedents were mostly young men.", "systematic-review"),
    ("Mitragynine in rodent pain models: a meta-analysis", "We searched Scopus and Medline for "
     "experiments on mice or rats using the hot-plate or tail-flick assay.", "meta-analysis"),
    ("Kratom in the United States: a narrative review", "Poison centre enquiries about kratom "
     "have climbed since 2015. Pharmacovigilance reports on kratom have doubled as well.",
     "review"),
    ("Kratom leaf trading in a provincial market", "We analysed transaction records of 200 "
     "registered traders for 2022.", "cross-sectional"),
    ("Kratom through three centuries", "From colonial archives, this work traces the leaf's "
     "move into global trade.", "review"),
    ("Kratom's abuse potential and the eight factors", "METHODS: We gathered the existing "
     "scientific literature, agency documents and court records.", "review"),
    ("Kratom packaging in convenience stores", "Staff bought 90 products in 30 stores; the "
     "packaging was photographed and coded for warnings.", "cross-sectional"),
    ("Kratom-related hospital stays in the United States", "We analysed Nationwide Inpatient "
     "Sample discharges for 2018 to 2021.", "cross-sectional"),
    # Guard: a rat searching a maze is no literature search.
    ("Mitragynine and spatial memory", "Mitragynine-treated rats were tested in a water maze, "
     "where they searched longer for the submerged platform.", "animal"),
    ("Disposition of mitragynine", "Mitragynine was incubated with liver microsomes. We then "
     "administered mitragynine orally (20 mg/kg) to rats and measured it in plasma and brain.",
     "animal"),
    ("Mitragynine in urine at treatment entry", "Consecutive patients entering residential "
     "treatment provided urine, which was tested by LC-MS/MS. Of 1,500 admissions, 40 (2.7%) "
     "had mitragynine.", "cross-sectional"),
    ("Mitragynine in pain clinic urine", "Among patients of 40 pain clinics, the mitragynine "
     "positivity rate in urine analysed by LC-MS/MS was 0.8%.", "cross-sectional"),
    ("Alkaloid analysis of kratom products bought online", "Products were bought from 20 vendors "
     "and their labels compared with the declared content.", "in-vitro"),
    ("Kratom use during the pandemic", "Adults who used kratom answered an online survey in 2020 "
     "and were re-contacted six months later.", "cohort"),
    ("Kratom decoction in volunteers", "Twelve volunteers were admitted to a phase 1 unit, where "
     "each was given a single oral dose of kratom decoction and blood was sampled for 48 hours.",
     "controlled-trial"),
    ("Kratom for the busy pharmacist", "Kratom leaves and powders are widely available at "
     "petrol stations. Its alkaloids act on opioid receptors", "review"),
    ("The long road of kratom", "We trace the history of the leaf from village use to "
     "global trade, and describe what is known of its alkaloids in rodents.", "review"),
    ("Kratom use and school dropout: a two-year follow-up", "Students were surveyed annually "
     "about kratom use and schooling.", "cohort"),
    ("Acute hepatitis after kratom: comment on a recent case report", "To the Editor: The "
     "recent account of hepatitis in a 35-year-old man after kratom use deserves comment.",
     "other"),
    ("Kratom: what the hospital pharmacist needs to know", "Kratom leaves and powders are "
     "widely available at petrol stations. Its alkaloids act on opioid receptors", "review"),
    ("Kratom and hepatotoxicity: a note on a recent case report", "Attribution of the liver "
     "injury to kratom deserves caution.", "other"),
    ("Managing kratom withdrawal: a Delphi consensus statement", "Experts rated draft "
     "statements over three rounds; the evidence behind each is reviewed.", "other"),
    ("Kratom and the Single Convention", "In this editorial we consider whether kratom should "
     "be placed under international control.", "other"),
    ("Kratom withdrawal care: a Delphi study", "Twenty clinicians rated 40 statements over three "
     "rounds.", "other"),
    ("Rethinking kratom scheduling: a letter", "The recent decision to keep kratom unscheduled "
     "deserves comment.", "other"),
    ("Kratom laws in the states: a policy mapping study", "We collected every state statute on "
     "kratom enacted by 2024.", "other"),
    ("Kidney function in people who drink kratom", "We enrolled 150 users and 150 neighbours and "
     "measured creatinine and albuminuria every year until 2022.", "cohort"),
    ("Kratom tea and pain tolerance in volunteers", "Session order was set by a "
     "computer-generated random sequence; each volunteer drank kratom tea in one session and "
     "placebo in the other.", "rct"),
    ("Work functioning in kratom users with pain",
     "Participants completed surveys at baseline, 3 and 6 months.", "cohort"),
    ("Blood counts in kratom drinkers",
     "Fifty daily drinkers and 30 non-user controls gave blood samples.", "cross-sectional"),
    ("Sleep in kratom users", "We assessed sleep quality among 240 regular kratom users.",
     "cross-sectional"),
    ("UDP-glucuronosyltransferase inhibition by mitragynine and predicted interactions with "
     "other drugs", "", "in-vitro"),
    ("Stability of 7-hydroxymitragynine", "Solutions were incubated in buffers at 37 C for 24 h.",
     "in-vitro"),
    ("Corynantheidine", "An LC-MS/MS assay was applied after oral administration to rats.",
     "animal"),
    ("Emergency department visits involving kratom", "", "cross-sectional"),
    ("Kratom-related emergency department visits in Ohio", "", "cross-sectional"),
    ("Kratom hospital stays in one state",
     "We used statewide hospital discharge data from 2016 to 2022.", "cross-sectional"),
    ("Kratom sales to minors", "Underage buyers attempted to purchase kratom at 120 shops.",
     "cross-sectional"),
    ("Kratom cultivation and income among Thai farmers",
     "We surveyed 400 farmers growing kratom leaf for sale.", "cross-sectional"),
    ("Kratom for withdrawal: a pilot trial", "Participants were assigned by a random number table "
     "to kratom tea or buprenorphine.", "rct"),
    # Guards: a sample drawn with a random number table, envelopes for questionnaires.
    ("Kratom in villages", "In a community survey, villages were chosen with a random number "
     "table; 1,118 residents were interviewed about kratom use.", "cross-sectional"),
    ("Kratom in students", "This cross-sectional survey assessed kratom use among 800 students. "
     "Anonymous questionnaires were returned in sealed envelopes.", "cross-sectional"),
    ("Kratom and opioids: mapping the evidence", "We searched five databases; following Arksey "
     "and O'Malley, 1,200 records were screened and 41 studies were included.",
     "systematic-review"),
    ("Kratom in rural life",
     "This paper draws on historical documents to describe traditional use.", "review"),
    ("Kratom and liver injury", "Cases came from a liver injury registry, with controls sampled "
     "at a ratio of three per case.", "case-control"),
    ("Mitragynine clearance",
     "We built a population pharmacokinetic model in NONMEM from two studies.", "other"),
    ("Kratom leaf extract and carrageenan-induced paw oedema",
     "The extract (100-400 mg/kg, p.o.) reduced swelling by 3 h, as indomethacin did.", "animal"),
    ("Heart rate variability and kratom",
     "We made Holter recordings in 96 daily kratom drinkers at two village clinics. Ectopic "
     "beats were seen in 31%.",
     "cross-sectional"),
    ("Kratom sales to minors", "Decoy buyers attempted purchases in 150 corner stores.",
     "cross-sectional"),
    # Guard: products bought and analysed are samples, though sold by online vendors.
    ("Mitragynine positivity in workplace drug testing", "A national laboratory screened "
     "employee specimens by LC-MS/MS in 2021. Mitragynine was confirmed in 0.4%.",
     "cross-sectional"),
    ("Thyroid function in long-term kratom drinkers", "In vitro data suggest that mitragynine "
     "binds thyroid hormone receptors. We measured TSH and free T4 in 140 men from four "
     "villages; 6% had subclinical hypothyroidism.", "cross-sectional"),
    # Guards: users followed over time are a cohort, whatever the title or a test at intake says.
    ("Kratom in opioid treatment", "We conducted a retrospective cohort study of 2,000 patients. "
     "Mitragynine positivity at intake was 4% and predicted retention at six months.", "cohort"),
    ("Liver enzymes among daily kratom users: a two-year prospective follow-up",
     "We enrolled 120 daily users and 60 non-users and measured liver enzymes every six months.",
     "cohort"),
    ("Kratom in two cities", "Data collectors visited a random sample of 180 vape, tobacco and "
     "corner shops in 2022. Kratom was sold in 41%.", "cross-sectional"),
    ("Kratom on sale in three states", "Inspectors visited 300 vape, smoke and corner shops and "
     "noted whether kratom was on sale.", "cross-sectional"),
    ("Neonatal abstinence after maternal kratom use", "We describe a neonate born at 38 weeks. "
     "The mother had visited gas stations, smoke shops and online vendors to buy kratom.",
     "case-report"),
    ("Kratom in gas stations",
     "Mystery shoppers purchased kratom products at 60 gas stations across the state.",
     "cross-sectional"),
    ("Alkaloids in kratom gummies", "We bought 40 products labelled as kratom from vape shops "
     "and online vendors, and quantified their alkaloids by LC-MS.", "in-vitro"),
    # Guard: products bought for a label audit are the audit's data, not samples analysed.
    ("Kratom product labels in four states", "We purchased 120 products from online vendors "
     "and coded each label against the state's rules.", "cross-sectional"),
    ("Nail discolouration with kratom",
     "We describe three women who had taken kratom capsules for several years.", "case-report"),
    ("Deaths after a kratom blend: four case descriptions", "Four deaths were referred to the "
     "county laboratory; samples submitted to the laboratory were analysed by LC-MS/MS.",
     "case-report"),
    # Guard: product samples sent in by vendors are samples analysed, not casework.
    ("Metals in kratom products", "Forty kratom product samples submitted from retail vendors "
     "were analysed by ICP-MS.", "in-vitro"),
    ("Mitragynine in urine drug tests", "A national laboratory tested 250,000 urine specimens "
     "for mitragynine by LC-MS/MS; urine specimens came from pain clinics.", "cross-sectional"),
])
def test_designs_named_the_way_kratom_papers_name_them(
        rules: RuleSet, title: str, abstract: str, design: str) -> None:
    assert _tagged(rules, title, abstract).design == design


@pytest.mark.parametrize(("abstract", "rule"), [
    ("METHODS: Texts were gathered by policy surveillance methods.", "design.other.policy"),
    ("METHODS: Two attorneys coded each statute against a checklist.", "design.other.stated"),
])
def test_laws_taken_as_the_unit_of_study_are_evidence_of_a_policy_study(
        rules: RuleSet, abstract: str, rule: str) -> None:
    doc = Document(title="Kratom in the United States, 2014-2024", abstract=abstract)
    assert rule in {e.rule_id for e in tag_document(doc, rules).evidence if e.counts}


def test_participants_who_will_be_randomly_allocated_are_in_a_protocol(rules: RuleSet) -> None:
    result = _tagged(rules, "Kratom decoction versus methadone in opioid withdrawal",
                     "Eighty men with opioid use disorder will be randomly allocated to kratom "
                     "decoction or methadone for five days.")
    assert [e.negated for e in result.evidence if e.rule_id == "design.rct.text"] == [True]


def test_a_cohort_that_will_enrol_is_a_protocols_plan_not_its_design(rules: RuleSet) -> None:
    doc = Document(title="The Kratom Health Study: rationale and design of a longitudinal cohort",
                   abstract="This prospective cohort study will enrol 1,200 adults who use kratom, "
                   "who will complete yearly assessments for four years.")
    result = tag_document(doc, rules)
    assert result.design == "other"
    assert not [e for e in result.evidence
                if e.value == "cohort" and e.field == "abstract" and e.counts]


def test_a_review_still_to_be_run_is_a_protocol_not_a_synthesis(rules: RuleSet) -> None:
    doc = Document(title="Kratom for pain: a protocol", abstract=(
        "Here we set out the plan for a systematic review with meta-analysis. We will search "
        "MEDLINE, Embase and trial registries, and two reviewers will screen records. We will "
        "pool the effect sizes in random-effects models."))
    result = tag_document(doc, rules)
    planned = doc.abstract.index("We will")
    assert result.design == "other"
    assert not [e for e in result.evidence if e.counts and e.field == "abstract"
                and e.start > planned
                and e.value in ("systematic-review", "meta-analysis", "controlled-trial")]


def test_two_reviewers_abstracting_charts_are_no_systematic_review(rules: RuleSet) -> None:
    result = _tagged(rules, "Kratom-related visits to a rural emergency department",
                     "We identified kratom mentions in health records from 2018 to 2022. Two "
                     "reviewers coded the vital signs and outcome for each encounter.")
    assert result.design != "systematic-review"
    assert [e.negated for e in result.evidence
            if e.rule_id == "design.systematic-review.text"] == [True]


@pytest.mark.parametrize(("abstract", "own"), [
    ("Drawing on archival, ethnographic and medical literature, this essay follows the leaf "
     "from tappers' huts to export markets.", False),
    ("This paper draws on ethnographic fieldwork among farmers and on the historical "
     "literature.", True),
])
def test_ethnographic_literature_drawn_on_is_not_the_papers_own_ethnography(
        rules: RuleSet, abstract: str, own: bool) -> None:
    result = _tagged(rules, "Kratom and the plantation economy of southern Thailand", abstract)
    assert any(e.rule_id == "design.qualitative.text" for e in result.evidence) == own


@pytest.mark.parametrize(("title", "negated"), [
    ("Kratom and hyponatraemia: a case report and systematic review", False),
    ("Kratom and hyponatraemia: a case report and review of the literature", True),
])
def test_a_case_report_is_read_as_a_systematic_review_only_when_it_says_so(
        rules: RuleSet, title: str, negated: bool) -> None:
    # TAXONOMY.md: the first design that applies, and systematic reviews come before case
    # reports; "a case report and review of the literature" is a case report.
    result = tag_document(Document(title=title), rules)
    assert [e.negated for e in result.evidence
            if e.rule_id == "design.systematic-review.title"] == [negated]


def test_a_typeset_hyphen_reads_as_a_hyphen_and_evidence_keeps_it(rules: RuleSet) -> None:
    result = tag_document(Document(title="Kratom use and liver injury: a case\u2013control "
                                   "study"), rules)
    assert result.design == "case-control"
    assert "case\u2013control study" in {e.matched for e in result.evidence}


def test_patients_discharged_from_a_series_are_not_one_patient_described(
        rules: RuleSet) -> None:
    doc = Document(title="Kratom use disorder treated in hospital",
                   abstract="We reviewed charts of patients treated for kratom use disorder. "
                   "Sixteen patients were discharged on buprenorphine.")
    assert tag_document(doc, rules).design != "case-report"


def test_an_article_drawing_surveys_together_is_a_review(rules: RuleSet) -> None:
    doc = Document(title="Kratom consumers: what have ten years of surveys shown us?",
                   abstract="Dozens of surveys of kratom consumers have been published since "
                   "2016. This article synthesises what they report about dose and")
    assert tag_document(doc, rules).design == "review"


@pytest.mark.parametrize(("title", "abstract"), [
    ("Kratom and the working day among farm labourers",
     "Through interviews with 30 labourers, we examined how kratom fits into daily work. Shared "
     "kratom drinking marked breaks and bonds among co-workers."),
    ("Social and cultural aspects of kratom use: a narrative review",
     "We summarise what is known about kratom use in Southeast Asia."),
    ("Juvenile rats given mitragynine",
     "Treated rats engaged in less social play and showed less social preference."),
    ("Kratom in place of heroin: one man's course",
     "Once off heroin he found a job and resumed contact with his sons."),
    ("Old age and the social significance of kratom drinking", ""),
    ("Kratom and retirement",
     "Retired men said the daily round of the village shop gave them a sense of belonging."),
    ("Mitragynine dependence in a delivery driver",
     "Over two years of escalating use she could not keep a steady job."),
    ("Kratom dependence in a truck driver", "He was fired from his job after repeated absences."),
    ("Kratom dependence in a welder", "He lost his job after months of missed shifts."),
    ("Kratom use disorder in a 29-year-old man",
     "He sought treatment after losing his job because of his daily kratom use."),
    ("Quitting kratom online", "Themes included community support and shared accountability."),
    ("Life after kratom dependence", "Several said their marriages and other relationships were "
     "mended once they had tapered."),
    ("Kratom and daily life", "Kratom let participants get through shifts and care for their "
     "children."),
    ("Kratom use disorder with family and occupational consequences", ""),
    ("Shoaling in zebrafish given speciogynine", ""),
    ("Kratom in a methadone programme",
     "One in four had difficulties at school or with their spouses."),
    ("Why people drink kratom", "Users said kratom eased their social discomfort."),
    ("Kratom drinking at a fishing port",
     "Most respondents drank the tea with neighbours in the evening."),
    ("Daily kratom use tracked by smartphone",
     "Each prompt asked whether the person was alone or with other people."),
    ("Kratom recovery forums", "Posters valued support from fellow members."),
    ("Kratom among rubber tappers", "Leaves were shared as a sign of friendship."),
    ("Kratom dependence and loss of employment in a nurse", ""),
    ("When kratom cost him his job: a letter", ""),
    ("Kratom use among vocational students",
     "We examined whether family dynamics predicted current kratom use."),
    ("Starting kratom", "Participants were usually introduced to kratom by a partner or friend."),
    ("Kratom and recovery", "Several participants felt judged by pharmacists."),
    ("Leaving heroin behind", "Kratom let him reconnect with his children."),
    ("Kratom among students", "Peer and family use predicted current use."),
    ("Mitragynine withdrawal in rats", "Social deficits appeared 72 h after the last dose."),
    ("Kratom and chronic pain", "Kratom let participants keep working."),
    ("Adolescent mitragynine in rats", "Juvenile play was reduced at the top dose."),
    ("Kratom and primary care",
     "Patients kept their use from physicians for fear of being judged."),
    ("Kratom dependence in a retail worker",
     "She was often late for work and was warned by her manager."),
    ("Kratom and productivity in farm workers",
     "Days of work lost in the past month were recorded at each visit."),
    ("Kratom in a coastal village", "Men first chewed leaves with a group of friends at sea."),
    ("Kratom among vocational students",
     "Friends who drank the tea were the strongest correlate of use."),
    ("Kratom use in a teenager introduced through a peer group", ""),
    ("Kratom among secondary school pupils",
     "Having a brother who used kratom doubled the odds of use."),
    ("Kratom in southern provinces",
     "The questionnaire covered substance use by relatives and school attendance."),
    # Where kratom came from, or word of it, is social context: social with a second cue.
    ("Kratom in an opioid treatment clinic",
     "Half had learned about kratom from acquaintances, and a third had concealed their use."),
    ("Kratom among young adults",
     "Most had obtained kratom from friends, and most took it at work."),
    ("Quitting kratom online", "Posters drew on support from the recovery community."),
    ("Quitting kratom online", "Forum members offered practical encouragement to those tapering."),
    ("Kratom in village life", "We explored the local meanings of offering kratom to guests."),
    ("Gestational mitragynine in mice", "Dams given the drug showed less pup retrieval."),
])
def test_work_and_social_context_of_use_are_social(rules: RuleSet, title: str,
                                                   abstract: str) -> None:
    assert "social" in _tagged(rules, title, abstract).outcomes


@pytest.mark.parametrize(("title", "abstract"), [
    ("Kratom sellers in two border towns",
     "Sellers described frequent trouble with the police and fines."),
    ("Living under a ban", "Interviews explored how people who drink kratom navigate the ban."),
    ("Kratom labels in three states", "We assessed the regulatory compliance of 90 products."),
    ("Kratom shops in Texas", "Few shops were in compliance with state labelling rules."),
    ("Kratom shipments stopped at ports", "We counted enforcement actions by year."),
    ("Young people who drink kratom cocktails",
     "Several participants had been arrested by police."),
    ("Kratom vendors in four states",
     "Interviews covered vendors' attitudes toward regulation of the trade."),
    ("Kratom users and the law", "Most feared that proposed bans would cut off their supply."),
    ("Kratom knowledge among pharmacy students",
     "Only a third knew that possession is an offence under Thai law."),
    ("Kratom users in Kedah", "Twelve sellers were arrested for selling leaves."),
    ("Reddit and kratom", "Post volume rose sharply after the DEA's scheduling notice."),
    ("Kratom in two Florida counties", "Shops in the county followed its kratom ordinance."),
    ("Kratom villages under pressure", "Villagers described police raids at night."),
    ("Kratom for clinicians", "The legal position of kratom differs from state to state."),
    ("Kratom in Alabama", "Kratom remains unscheduled at the federal level."),
    ("Kratom in four states", "We compared consumer protection statutes passed since 2019."),
    ("Ketum in a Malaysian village", "Villagers said the police seldom enforced the ban."),
    ("Kratom searches before and after the DEA notice of intent to schedule", ""),
    ("Kratom in Malaysia", "Enforcement agencies reported rising seizures of kratom leaf."),
    ("Pharmacists and kratom", "Pharmacists gave their views on how kratom should be regulated."),
    ("Kratom and recovery",
     "Participants voiced legal uncertainty about the future of their supply."),
    ("Kratom in vape shops", "Shops were audited for age-of-sale limits in three states."),
    ("Kratom retail across regulatory environments", ""),
    ("Age verification on kratom vendor websites", ""),
    ("Kratom in Thailand: its uses and regulatory history", ""),
])
def test_enforcement_met_and_a_ban_lived_with_are_legal(rules: RuleSet, title: str,
                                                         abstract: str) -> None:
    assert "legal" in _tagged(rules, title, abstract).outcomes


def test_an_optional_leading_word_finds_the_same_places_through_a_literal_start() -> None:
    # "(?:amazon )?mechanical turk" is searched as "mechanical turk" (re finds a literal
    # start fast, and tries every position without one); "(?:un)?successful" is not
    # shortened, since "successful" alone would miss "unsuccessful".
    rule_file = """
[[rule]]
id = "my.crowd"
axis = "design"
tag = "cross-sectional"
fields = ["title", "abstract"]
patterns = ["(?:amazon )?mechanical turk", "(?:un)?successful recruitment"]
"""
    [rule] = parse_rules(rule_file, "mine.toml")
    assert [a.prefix for a in rule.alternatives][0] == "mechanical turk"
    rules = RuleSet([rule])
    found = [e.matched for e in matches(Document(
        title="Recruiting on Amazon Mechanical Turk",
        abstract="Unsuccessful recruitment was rare. Biomechanical turkeys were not studied."),
        rules)]
    assert found == ["Mechanical Turk", "Unsuccessful recruitment"]


@pytest.mark.parametrize(("title", "abstract", "outcome"), [
    ("Overdose among adults with opioid use disorder who use kratom",
     "Among adults with opioid use disorder, kratom co-use was associated with more "
     "overdoses.", "safety"),
    ("Kratom and mood in people with a history of depression",
     "Among respondents with a history of depression, kratom use was associated with better "
     "mood.", "mood"),
    ("Views of kratom vendors",
     "We surveyed 120 vendors. Most respondents agreed on the need for regulation of kratom "
     "products.", "legal"),
    ("Kratom sale in Thailand after 2022",
     "Under the new act a licence is required to sell kratom leaves.", "legal"),
    ("Public opinion on kratom",
     "In a national poll, 81% supported the need for federal regulation of kratom.", "legal"),
    ("Bupropion for depression in adults who use kratom: a randomised trial",
     "Adults were randomised to bupropion or placebo; depression scores were the primary "
     "outcome.", "mood"),
    ("Kratom use in the workplace",
     "Respondents described stigma in the workplace and hid their use from co-workers.",
     "social"),
    ("Paranoid delusions after daily ketum drinking",
     "A 25-year-old man with no known psychiatric history developed acute psychosis.", "mood"),
    ("Mitragynine in rats", "Mitragynine caused facilitation of ICSS and anxiolytic-like "
     "effects in the elevated plus maze.", "mood"),
    ("Tramadol after knee surgery", "Adverse events were more frequent with tramadol, and its "
     "abuse potential must be considered before prescribing.", "safety"),
    ("Kratom attitudes in one city", "Respondents reported low stigma and strong support for "
     "legal regulation of kratom.", "social"),
    ("Kratom websites", "Product claims (e.g. pain relief) were found on 30% of websites, and "
     "customer reviews described reduced anxiety.", "mood"),
    ("Depression after stopping kratom", "A 41-year-old woman used kratom to manage her "
     "anxiety. After stopping it she developed severe depressive symptoms.", "mood"),
    ("Kratom in an emergency department", "A 45-year-old woman using kratom was admitted for "
     "depression and suicidal ideation.", "mood"),
    ("A man who used kratom for years", "A 38-year-old man who had used kratom daily for six "
     "years to ease opioid withdrawal needed inpatient care for severe depression.", "mood"),
    ("Women who use kratom", "One participant, a mother in her 30s, described drinking kratom "
     "daily for her depression and said it lifted her mood.", "mood"),
    ("Beliefs about kratom", "Many believed kratom may reduce opioid withdrawal; half knew its "
     "legal status in their state.", "legal"),
    ("Kratom sellers", "Most said that a statewide ban would reduce their income.", "legal"),
    ("Kratom in Malaysia",
     "Kratom has been controlled under the Poisons Act in Malaysia since 2003.", "legal"),
    ("Thai drug law", "The Narcotics Act in Thailand was amended in 2021.", "legal"),
    ("Kratom in pregnancy", "Hair testing documented mitragynine exposure in 11 infants born "
     "to mothers who used kratom during pregnancy.", "safety"),
    ("Opioid prescribing and medical boards",
     "Disciplinary actions by state medical licensing boards rose.", "legal"),
    ("New psychoactive substances in Britain",
     "Substances once sold as 'legal highs' were banned by the 2016 act.", "legal"),
    ("Outcomes in adults with chronic pain",
     "Using medical claims we identified 20,000 adults, in whom depression was more common "
     "among those prescribed opioids.", "mood"),
    ("Kratom substitution", "Many had replaced antidepressants with kratom for anxiety and "
     "depression, and 70% reported improved mood.", "mood"),
    ("Kratom versus sertraline for depression: a pilot trial", "", "mood"),
    # Guards: a reason for use that a survey counts, or that a qualitative study explores.
    ("Why adults use kratom: an online survey", "Respondents used kratom to cope with anxiety "
     "or low mood (31%) and for pain (64%).", "mood"),
    ("Using kratom to manage pain and mood: a qualitative study of mothers", "", "mood"),
    ("Kratom in an online sample",
     "Nearly half of respondents used kratom to self-treat anxiety or depression.", "mood"),
])
def test_a_population_or_history_named_beside_a_measured_outcome_keeps_it(
        rules: RuleSet, title: str, abstract: str, outcome: str) -> None:
    assert outcome in _tagged(rules, title, abstract).outcomes



@pytest.mark.parametrize(("title", "abstract"), [
    ("Kratom and driving", "Mitragynine was found in the blood of 40 impaired drivers."),
    ("Kratom effects in an online sample", "Negative effects included constipation."),
    ("Low sodium in a woman taking kratom",
     "We think kratom may have contributed to her hyponatraemia."),
    ("Mitragynine in pigeons", "7-Hydroxymitragynine fully substituted for the heroin cue."),
    ("Sexual desire in regular kratom drinkers", "Sexual desire was rated in 120 men."),
    ("Kratom and psychological health", "Dysphoria was described with daily use and withdrawal."),
    ("Encephalopathy in a patient drinking kratom tea", ""),
    ("Giving up kratom", "Participants described tapering off kratom over several months."),
    ("A forum about stopping", "Posts about kratom cessation were coded."),
    ("Mitragynine and memory in rats",
     "Object recognition was impaired after 14 days of mitragynine."),
    ("Mitragynine and the hippocampus",
     "Long-term potentiation was markedly suppressed in treated rats."),
    ("Kratom and mental health",
     "Case reports describe psychosis and mania associated with chronic use."),
    ("Kratom drinkers in Penang", "Participants completed the Leeds Dependence Questionnaire."),
    ("Kratom in experienced users", "Drug liking rose with dose."),
    ("Mitragynine and the heart in dogs",
     "Mitragynine lengthened the QRS duration at the top dose."),
    ("A 90-day study of kratom in rats",
     "Histopathological changes were seen in the liver at the top dose."),
    ("Kratom extract in male mice", "Testis weight fell at the top dose."),
    ("Speciociliatine in mice", "Antinociception came with limited gastrointestinal effects."),
    ("Hyperpigmentation in a woman taking kratom", ""),
    ("A bezoar in a man who chewed kratom leaves", ""),
    ("Hyponatraemia in a kratom user", ""),
    ("Dilated cardiomyopathy in a daily kratom drinker", ""),
    ("Hyperpigmentation of the lips and gums in a long-term kratom chewer", ""),
    ("Gestational mitragynine exposure in mice", "Litters were weighed on postnatal day 7."),
    ("Psychosis during daily kratom use", ""),
    ("Jaundice after four months of daily kratom capsules", ""),
    ("Hypogonadism in three men who drank kratom daily", ""),
    ("Repeated mitragynine in mice", "Somatic withdrawal was scored after the last dose."),
    ("A death at home", "The decedent had taken kratom and alcohol."),
    ("Kratom use in Perlis", "Most users reported two or more kratom quit attempts."),
    ("Zebrafish embryos and mitragynine", "The 96-h LC50 was 20 mg/L."),
    ("Mitragynine in rats", "Mitragynine inhibited small intestinal transit."),
    ("Mitragynine in mice", "Gastrointestinal transit was measured with a charcoal meal."),
    ("Kratom in fishing villages", "Scores showed moderate-risk kratom use in a fifth of users."),
    ("Kratom use by the day", "Craving for kratom was rated at each prompt."),
    ("Kratom alkaloids", "Rats trained to discriminate morphine from saline were tested with "
     "mitragynine."),
    ("Kratom in treatment", "Most used kratom to manage opioid withdrawal; however, a quarter "
     "reported tolerance and withdrawal from kratom itself."),
    ("Botanical products and the case for post-marketing surveillance", ""),
    ("Herbal supplements", "We reviewed what national pharmacovigilance centres had received."),
    ("Mothers who drank kratom tea daily", "Perinatal outcomes were taken from delivery records."),
    # Guards: a drug interaction, and tolerability, are safety.
    ("Kratom and benzodiazepines",
     "We describe kratom interactions with central nervous system depressants."),
    ("Kratom capsules in an open-label study", "Kratom was well tolerated by most users."),
    ("Kratom calls to a poisons centre", "We reviewed telephone queries about kratom; kratom "
     "toxicity was reported in 23 of 40."),
    # Guards: a harm in the same sentence as a hope or a claim still counts.
    ("Mitragynine in mice", "Mitragynine is an analgesic with an improved side-effect profile, "
     "but repeated dosing produced physical dependence."),
    ("Kratom in men", "Users reported enhanced sexual performance, but 22% reported erectile "
     "dysfunction."),
    ("Kratom products tested against state standards",
     "Under the state act, 14 of 90 products were found adulterated with synthetic alkaloids."),
])
def test_harms_users_report_or_a_study_attributes_are_safety(rules: RuleSet, title: str,
                                                             abstract: str) -> None:
    assert "safety" in _tagged(rules, title, abstract).outcomes


@pytest.mark.parametrize(("title", "abstract", "outcome"), [
    ("Mitragynine analogues at the mu-opioid receptor",
     "The series may yield analgesics with fewer side effects.", "safety"),
    ("The 2016 kratom scheduling notice",
     "The agency called kratom an imminent hazard to public safety.", "safety"),
    ("Reasons for trying kratom at an opioid treatment program",
     "The most common reason was self-management of opioid withdrawal.", "safety"),
    ("Could kratom be a harm-reduction tool?", "", "safety"),
    ("Kratom marketed to men", "Vendors claimed it would enhance sexual performance.", "safety"),
    ("Kratom for drinkers",
     "Kratom alkaloids deserve study as a treatment for alcohol use disorder.", "safety"),
    ("Kratom at the border", "Kratom seizures rose as enforcement tightened.",
     "safety"),
    ("Opioids and brain reward in rats",
     "Morphine caused an early depression followed by facilitation of ICSS.", "mood"),
    ("Breathing after mitragynine", "Ventilatory depression was absent at all doses.", "mood"),
    ("Kratom vendor websites",
     "Unsubstantiated claims for anxiety and opioid withdrawal appeared on 40 sites.", "mood"),
    ("Kratom in pregnancy", "Respondents were recruited through parenting groups online.",
     "social"),
    ("Antibacterial activity of kratom leaf extracts",
     "Extracts inhibited Salmonella Typhimurium with MIC values near 1 mg/mL.", "safety"),
    ("Kratom and employers", "Mitragynine was added to workplace drug testing panels.",
     "social"),
    ("Kratom users and the law",
     "Attitudes of people who use kratom toward its regulation were mixed.", "social"),
    ("Ventilation after 7-hydroxymitragynine",
     "The maximal depression equalled that of oxycodone.", "mood"),
    ("Interactions in a woman taking kratom", "Case presentation: A 47-year-old woman on stable "
     "doses of quetiapine and sertraline for bipolar depression was prescribed clarithromycin.",
     "mood"),
    ("Stopping kratom", "Earlier attempts had brought on sweating, diarrhoea, anxiety and "
     "insomnia.", "mood"),
    # Guards from a second reader: a reason for stopping, insurance claims, another drug's
    # model, a caution and a cited death are not the study's outcome or turn.
    ("Why people stop", "Reasons for quitting kratom included cost and a change of vendor.",
     "safety"),
    ("Memory in rats", "In scopolamine-treated rats, memory was impaired, and mitragynine "
     "pretreatment reversed this deficit.", "safety"),
    ("Kratom and other medicines", "Kratom should be used cautiously with drugs that prolong "
     "the QT interval.", "safety"),
    ("State kratom laws compared", "Most acts banned adulterated products and set labelling "
     "rules.", "safety"),
    ("Kratom statutes in 12 states",
     "We weighed what the statutes are likely to do for consumer safety.", "safety"),
    ("Breathing after 7-hydroxymitragynine in rats",
     "Tidal volume showed a marked depression that naloxone reversed.", "mood"),
    # Guards: what these cues must leave alone.
    ("Kratom use in a clinic", "Two of the 12 study visits were unscheduled.", "legal"),
    ("Mitragynine in mice", "Mitragynine can induce antinociception in mice.", "safety"),
    ("Switching to kratom", "Negative experiences with methadone clinics were a common reason "
     "for switching to kratom.", "safety"),
    ("Kratom in men", "Most used kratom for sexual performance and stamina.", "safety"),
    ("Macrophages given mitragynine",
     "The compound suppressed NF-kappaB family factors in macrophages.", "social"),
    ("Mitragynine and drinking in mice", "Mitragynine could be a lead for developing new "
     "medications for alcohol use disorder.", "safety"),
    ("Kratom: a guide for clinicians", "Patients take it for back pain, to self-manage opioid "
     "withdrawal, or for stress and low mood.", "mood"),
    # Guards from a second reader: a closing remark on regulation, stopping another
    # treatment, a drug-development hope beside no harm, a gene variant, words of other
    # senses (a debate's arguments, organ involvement, a covariate, an anxiety disorder).
    ("Alkaloid content of kratom products", "The variable alkaloid content poses regulatory "
     "challenges for standardisation.", "legal"),
    ("Opioid prescribing in primary care", "Clinicians documented reasons for tapering or "
     "withdrawal of opioid therapy.", "safety"),
    ("Quitting smoking", "Support covered smoking cessation and withdrawal from nicotine.",
     "safety"),
    ("Mitragynine metabolism", "Polymorphisms that alter CYP2D6 activity may explain the "
     "variability.", "safety"),
    ("Comments on the proposed ban", "The most frequent arguments concerned pain relief.",
     "social"),
    ("Paediatric kratom exposures", "Multiorgan involvement in the children was uncommon.",
     "social"),
    ("Daily kratom use", "Employment status remained a significant predictor of daily use.",
     "social"),
    ("Reasons for kratom use", "Reasons included pain relief, energy enhancement, social "
     "anxiety and sleep.", "social"),
    ("Kratom use disorder treated with buprenorphine", "He reported withdrawal with "
     "rhinorrhoea, anxiety and yawning (COWS score 12).", "mood"),
    ("Kratom users and their clinicians", "Few had told mental health providers about their "
     "use.", "mood"),
    # Guards: a reason for use or another drug named in these new cues' place, and the
    # misfires a second reader found: stopping opioids or a trade, an appointment
    # scheduled, regression controls, drought tolerance, undeclared drug use found in
    # patients, a village's family characteristics, being scheduled for a test.
    ("Kratom use in pain patients", "Attempts to taper opioid doses caused many to seek "
     "kratom.", "safety"),
    ("Kratom at the border", "Efforts to stop the kratom trade resulted in 3000 arrests.",
     "safety"),
    ("Liver disease in a kratom user", "The decision to schedule a liver biopsy was deferred.",
     "legal"),
    ("Kratom exposures by state", "Models included state-level controls for population.",
     "legal"),
    ("Growing Mitragyna speciosa", "Drought tolerance developed after four weeks of water "
     "restriction.", "safety"),
    ("Urine drug testing in opioid treatment", "Testing revealed undeclared drug use in 12% of "
     "patients.", "safety"),
    ("Kratom in two villages", "Family and community characteristics of the villages are "
     "described.", "social"),
    ("Kratom and work", "Staff were concerned that they could be scheduled for drug testing.",
     "legal"),
    # Guards: a reason for use or another drug named in these new cues' place.
    ("Kratom in opioid recovery", "Attempts to stop using heroin led to severe withdrawal.",
     "safety"),
    ("Kratom: a review", "Case reports describe successful use of kratom to ease opioid "
     "withdrawal.", "safety"),
    ("Mitragynine in mice", "Mitragynine reduced the number of "
     "jumps and wet-dog shakes after naloxone.", "safety"),
    ("Mitragynine in mice", "Mice were made dependent on morphine "
     "over five days.", "safety"),
    ("Mitragynine in mice", "These data suggest kratom can ease "
     "opioid withdrawal.", "safety"),
    ("Kratom users", "Reasons for stopping kratom included cost.", "safety"),
    ("Kratom farming", "Many households were economically dependent on kratom leaf sales.",
     "safety"),
    ("Mitragynine in rats", "Paw withdrawal thresholds after repeated mitragynine remained "
     "high.", "safety"),
    ("Kratom users", "Participants who considered stopping kratom cited cost.", "safety"),
    ("Scheduling kratom", "We weighed the positive and negative effects of scheduling on "
     "access.", "safety"),
    ("Kratom in men", "He reported improved sexual relations with his wife.", "social"),
    # Guard: social media named beside motives is no social motive.
    ("Kratom on social media", "Videos named coping and social media trends as motives.",
     "social"),
])
def test_a_hope_a_quoted_notice_or_a_reason_for_use_is_not_the_outcome(
        rules: RuleSet, title: str, abstract: str, outcome: str) -> None:
    assert outcome not in _tagged(rules, title, abstract).outcomes


def test_retailers_interviewed_are_no_sales_data(rules: RuleSet) -> None:
    tagged = _tagged(rules, "Selling kratom",
                     "We interviewed 15 online retailers about sourcing and testing.")
    assert tagged.design != "cross-sectional"


def test_a_letter_in_response_is_named_as_a_letter(rules: RuleSet) -> None:
    tagged = _tagged(rules, "Kratom and the liver: a letter in response", "")
    assert any(e.rule_id == "design.other.letter-title" for e in tagged.evidence)


@pytest.mark.parametrize(("title", "abstract", "outcome"), [
    # A status conceded before saying that use goes on is the setting, not the study's law.
    ("Social functioning of long-term ketum users", "Ketum has been chewed in Malaysian "
     "villages for generations. Although the leaf is controlled under the Poisons Act 1952, "
     "its use remains common in the north. This cross-sectional study of 300 users assessed "
     "social functioning with a validated", "legal"),
    ("Ketum chewing in northern villages", "Ketum is chewed daily in many northern villages "
     "despite being prohibited under the Poisons Act 1952.", "legal"),
    # Reasons for use said of the plant in the passive, or as a means of self-treatment.
    ("Kratom policy in the United States: a commentary", "Kratom has become popular as a "
     "means of self-treating pain, anxiety and opioid withdrawal. The federal response has "
     "swung between scheduling and inaction, and states have filled the gap with bans and "
     "consumer protection acts.", "mood"),
    ("Kratom policy in the United States: a commentary", "Kratom is now widely used for pain, "
     "anxiety and opioid withdrawal. The federal response has swung between scheduling and "
     "inaction.", "mood"),
    # A history in a case's presenting sentence, whose "after" is the presenting event.
    ("Status epilepticus after kratom", "A 52-year-old woman with a history of back pain, "
     "depression and alcohol use disorder presented to the emergency department after a "
     "witnessed seizure at home.", "mood"),
    # The traditional reason for chewing the leaf is background to a review.
    ("Kratom: pharmacology and toxicology", "Kratom leaves have long been chewed by labourers "
     "to combat fatigue and improve work productivity. Its alkaloids act at opioid and "
     "adrenergic receptors.", "social"),
])
def test_a_conceded_status_a_reason_for_use_or_a_history_is_not_the_outcome(
        rules: RuleSet, title: str, abstract: str, outcome: str) -> None:
    assert outcome not in _tagged(rules, title, abstract).outcomes


@pytest.mark.parametrize(("title", "abstract", "outcome"), [
    ("Toxic metals in kratom capsules sold in Ohio", "", "safety"),
    # Guards: a mood that follows the history, or a psychiatric presentation, stays mood; a
    # reason a survey counts stays social; a ban the study analyses stays legal.
    ("Low mood after stopping kratom", "A 40-year-old man with a history of back pain and "
     "depression reported worsening low mood after he stopped kratom.", "mood"),
    ("Kratom and suicidal ideation", "A 35-year-old woman with a history of chronic pain and "
     "depression presented with suicidal ideation after a month of daily kratom.", "mood"),
    ("Why adults use kratom", "Respondents reported using kratom to improve work productivity "
     "(41%).", "social"),
    ("Kratom law in Malaysia", "Although kratom is banned in Malaysia, we analysed how "
     "enforcement of the Poisons Act changed arrests between 2005 and 2015.", "legal"),
    # Guards from a second reader: sales or knowledge under a status are the law studied; a
    # mood the patient presented with stays mood; a reason for use beside a test of it, a
    # scale used for mood, or counts of respondents keep mood; work beside social bonds or
    # functioning stays social.
    ("Kratom in smoke shops", "We attempted test purchases in 120 smoke shops after the "
     "state scheduled kratom. Despite being banned under state law, kratom was sold by 64 of "
     "120 shops (53%).", "legal"),
    ("What students know about kratom", "We surveyed 1,200 students. Despite its illegal "
     "status, 78% of respondents did not know that kratom was a controlled substance.",
     "legal"),
    ("Stopping kratom", "A 38-year-old man with a history of back pain and depression "
     "presented with severe anxiety and panic attacks after abruptly stopping kratom.", "mood"),
    ("Mitragynine in mice", "Mitragynine, which is traditionally used to relieve anxiety, was "
     "tested for anxiolytic-like effects in the elevated plus maze.", "mood"),
    ("Kratom users in Malaysia", "Among 150 regular kratom users, the DASS-21 was used for "
     "depression, anxiety and stress.", "mood"),
    ("Kratom use in the US", "Among 2,798 respondents, kratom was commonly used to self-treat "
     "anxiety and depression.", "mood"),
    ("Kratom among rubber tappers", "Thematic analysis showed that kratom was chewed to boost "
     "work productivity and to strengthen social bonds among co-workers.", "social"),
])
def test_contamination_and_measured_outcomes_beside_those_asides_stay_tagged(
        rules: RuleSet, title: str, abstract: str, outcome: str) -> None:
    assert outcome in _tagged(rules, title, abstract).outcomes


def test_a_cardiac_arrest_is_no_arrest_by_the_police(rules: RuleSet) -> None:
    tagged = _tagged(rules, "Cardiac arrest after kratom tea", "A 28-year-old man had a "
                     "cardiac arrest after drinking kratom tea; police found an empty bottle.")
    assert [e.matched for e in tagged.evidence if e.value == "legal" and e.counts] == ["police"]


def test_case_report_data_among_sources_reviewed_make_no_case_report(rules: RuleSet) -> None:
    tagged = _tagged(rules, "Kratom and the eight factors", "We reviewed surveys, poison centre "
                     "and case report data, and regulatory documents for each factor.")
    assert tagged.design != "case-report"


def test_a_case_described_beside_the_case_report_literature_stays_a_case_report(
        rules: RuleSet) -> None:
    tagged = _tagged(rules, "Jaundice in a kratom user", "We describe a 34-year-old man who "
                     "developed jaundice after 6 weeks of kratom use, and we summarize the case "
                     "report literature on kratom and the liver.")
    assert tagged.design == "case-report"


def test_alkaloid_content_a_market_should_meet_is_no_laboratory_work(rules: RuleSet) -> None:
    tagged = _tagged(rules, "Regulating kratom", "We argue for a regulated market with "
                     "standards for alkaloid content and testing for contaminants.")
    assert not [e for e in tagged.evidence if e.rule_id == "design.in-vitro.chemistry"
                and e.counts]


@pytest.mark.parametrize(("title", "abstract", "outcome", "tagged"), [
    ("Inhibitory effects of speciogynine on recombinant human CYP enzymes", "", "safety", True),
    ("Kratom alkaloids and drug metabolism", "We measured the effects of mitragynine on the "
     "activity of human CYP2D6 and CYP3A4 in liver microsomes.", "safety", True),
    ("Kratom exposures in young children", "Counselling of pregnant women and parents who use "
     "kratom about safe storage is warranted.", "social", False),
    # Guard: the use of parents as a teenager's setting is still social context.
    ("Kratom in high school students", "Students whose parents use kratom were twice as likely "
     "to have tried it.", "social", True),
    # Guards from a second reader: inhibitors used to find the enzymes are no interaction
    # study; parents screened for or named beside education are no counselled parents.
    ("Metabolism of mitragynine in liver microsomes", "The inhibitory effects of ketoconazole "
     "on CYP3A4 identified the enzyme forming its main metabolite.", "safety", False),
    ("Kratom among adolescents", "Lower parental education and having parents who use kratom "
     "were associated with adolescent use.", "social", True),
])
def test_enzyme_inhibition_and_counselled_parents(rules: RuleSet, title: str, abstract: str,
                                                  outcome: str, tagged: bool) -> None:
    assert (outcome in _tagged(rules, title, abstract).outcomes) == tagged


@pytest.mark.parametrize(("title", "design"), [
    ("Deaths in three southern states attributed to kratom, 2015-2020", "cross-sectional"),
    ("Novel case of neonatal abstinence after maternal kratom use", "case-report"),
    ("[Rare case of kratom-associated jaundice in a translated title]", "case-report"),
])
def test_titles_that_name_a_series_or_a_case_without_an_abstract(
        rules: RuleSet, title: str, design: str) -> None:
    assert _tagged(rules, title, "").design == design


@pytest.mark.parametrize("title", [
    "Deaths in two patients associated with kratom and fentanyl",
    "Deaths in two healthy young men associated with kratom use",
    "Deaths in twins associated with kratom use",
])
def test_deaths_in_a_few_people_are_no_aggregate_series(rules: RuleSet, title: str) -> None:
    assert _tagged(rules, title, "").design != "cross-sectional"


@pytest.mark.parametrize(("title", "abstract", "tagged"), [
    ("Effect of a methanolic kratom leaf extract on nicotine withdrawal signs in rats",
     "Rats received nicotine for 14 days. Withdrawal signs were scored after mecamylamine, "
     "and the extract reduced them at 100 mg/kg.", False),
    ("Speciociliatine attenuates naloxone-precipitated withdrawal in morphine-withdrawn mice",
     "Withdrawal jumping and weight loss were recorded for 30 min.", False),
    # Guards: the substance's own withdrawal, people who ease withdrawal with kratom, and a
    # title that turns to a harm of its own stay safety.
    ("Withdrawal after repeated mitragynine in rats", "Withdrawal signs appeared within 24 h "
     "of the last dose.", True),
    ("Kratom to ease opioid withdrawal: an online survey", "Most respondents reported "
     "withdrawal symptoms when they stopped kratom.", True),
    ("Mitragynine attenuates morphine withdrawal in mice but produces dependence of its own",
     "Withdrawal signs followed abrupt cessation of mitragynine.", True),
    # Guards from a second reader: the substance's own harms in such a paper, and naloxone,
    # which precipitates withdrawal from the substance itself, keep safety.
    ("Mitragynine attenuates withdrawal syndrome in morphine-withdrawn zebrafish",
     "At the highest dose, mitragynine was hepatotoxic and killed 40% of the fish.", True),
    ("Effect of a kratom leaf extract on ethanol withdrawal signs in mice", "However, the "
     "extract caused respiratory depression at 300 mg/kg.", True),
    ("Mitragynine eases morphine withdrawal in mice", "Repeated mitragynine produced "
     "tolerance and physical dependence of its own.", True),
    ("Effects of repeated mitragynine on naloxone-precipitated withdrawal in mice", "", True),
])
def test_another_drugs_withdrawal_eased_in_animals_is_no_harm_of_the_substance(
        rules: RuleSet, title: str, abstract: str, tagged: bool) -> None:
    assert ("safety" in _tagged(rules, title, abstract).outcomes) == tagged


@pytest.mark.parametrize(("title", "abstract", "outcome", "tagged"), [
    # "Legal high" names a kind of product, not the law a study analyses.
    ("Kratom: an unusual legal high", "", "legal", False),
    # A history before the patient was found after a seizure is no mood outcome...
    ("Coma after kratom", "A 50-year-old woman with a history of migraine and depression was "
     "found unresponsive after a seizure at home.", "mood", False),
    # ...but a low mood she was found with is, and a ban by an act is the law studied.
    ("Low mood in a kratom user", "A 45-year-old man with a history of depression was found "
     "to have severe low mood after stopping kratom.", "mood", True),
    ("Kratom in the United Kingdom", "Kratom was banned under the 2016 Psychoactive "
     "Substances Act; we describe sales before and after.", "legal", True),
])
def test_a_product_class_or_a_presenting_history_is_not_the_outcome(
        rules: RuleSet, title: str, abstract: str, outcome: str, tagged: bool) -> None:
    assert (outcome in _tagged(rules, title, abstract).outcomes) == tagged


@pytest.mark.parametrize(("title", "abstract"), [
    ("Legal highs in Poland", "We surveyed 500 users about their knowledge of the 2010 ban on "
     "smart shops."),
    ("Online shops selling kratom", "We examined 100 online shops and whether they complied "
     "with the law."),
    ("The kratom market after the Psychoactive Substances Act", ""),
])
def test_knowledge_of_a_ban_compliance_or_an_act_as_the_event_are_legal(
        rules: RuleSet, title: str, abstract: str) -> None:
    assert "legal" in _tagged(rules, title, abstract).outcomes


def test_respiratory_depressant_effects_are_a_harm(rules: RuleSet) -> None:
    assert "safety" in _tagged(rules, "Respiratory depressant effects of speciogynine in mice",
                               "").outcomes


@pytest.mark.parametrize(("title", "abstract", "design"), [
    # A case named in the title is one case, whatever examiners and autopsies it mentions.
    ("Fatal kratom toxicity: a case report", "The medical examiner found pulmonary oedema at "
     "autopsy; postmortem blood held mitragynine at 0.6 mg/L.", "case-report"),
    # Posts read by thematic analysis are a qualitative study.
    ("Kratom tapering on Reddit: a qualitative analysis", "We sampled 400 Reddit posts from "
     "2019 to 2022.", "qualitative"),
    # Users compared with matched people who do not use it: an exposure comparison.
    ("Mitragynine and codeine in the blood of a deceased driver", "", "case-report"),
    ("Speciociliatine in vitro and in rats: receptor affinity and behaviour", "Radioligand "
     "binding assays and GTPgammaS assays gave its affinity for the mu receptor.", "animal"),
    # Guards from a second reader: chemistry's "qualitative and quantitative", a bracketed
    # translated case title, a real case-control study, a population's specimens, animal
    # tissue in vitro.
    ("Qualitative and quantitative analysis of mitragynine in postmortem toxicology cases",
     "Mitragynine was detected in the postmortem blood of 47 decedents by LC-MS/MS.",
     "cross-sectional"),
    ("[A case of fatal kratom intoxication]", "The medical examiner found pulmonary oedema at "
     "autopsy, and postmortem blood held mitragynine.", "case-report"),
    ("Kratom dependence in first-episode psychosis", "We enrolled 120 patients with "
     "first-episode psychosis and 240 age- and sex-matched controls without kratom or alcohol "
     "dependence.", "case-control"),
    ("Kratom use in the urine of a chronic pain patient population", "We tested 5,000 urine "
     "specimens.", "cross-sectional"),
    ("In vitro metabolism of mitragynine in human and rat liver microsomes", "", "in-vitro"),
    ("Cytotoxicity of kratom alkaloids in vitro in mouse neuroblastoma cells", "", "in-vitro"),
])
def test_titles_and_comparisons_that_settle_the_design(
        rules: RuleSet, title: str, abstract: str, design: str) -> None:
    assert _tagged(rules, title, abstract).design == design


def test_users_compared_with_matched_people_who_do_not_use_are_no_case_control(
        rules: RuleSet) -> None:
    for abstract in ("We compared 80 ketum users and 80 age- and sex-matched controls.",
                     "Regular kratom users (n = 70) and 70 age-matched healthy controls "
                     "completed the CANTAB battery."):
        assert _tagged(rules, "Kidney function in ketum users", abstract).design != "case-control"
