"""Seeded generator for the full-tier datasets (written for evalgate; every person, show and
sponsor is fictional).

Each episode: a show, one or two hosts and a guest drawn from name pools, one topic from
full_topics.py with its numbers drawn per episode, four to six talking points in order, filler
and reactions, an occasional interruption (cross-talk), one or two sponsor reads in varied
shapes (own turn or inside a turn, with or without a "back to the show" cue), and an outro.
The reference summary is the topic lede plus the summary sentences of the points discussed.
"""

import random

from full_topics import TOPICS
from render import DatasetWriter, clock_before, render_clean, render_raw

SEED = 20261126
EPISODES_PER_TOPIC = 3  # 10 topics -> 30 episodes

SHOWS = [
    ("The Long Table", "Welcome to The Long Table, conversations about how things really work."),
    ("Field Notes", "This is Field Notes, the show where we go and ask the people who actually do the job."),
    ("Second Opinion", "You're listening to Second Opinion."),
    ("Mostly Harmless Questions", "Hi, and welcome to Mostly Harmless Questions."),
    ("Down the Block", "Welcome back to Down the Block, the podcast about the people in your neighbourhood."),
    ("Plain Language", "This is Plain Language, where experts explain things without the jargon."),
]

OUTROS = [
    "That's all for this week. Thanks for listening, and if you enjoyed it, leave us a review wherever you get your podcasts.",
    "Thanks so much for listening. Don't forget to subscribe, and see you next week.",
    "That's the show. Until next time, take care of each other.",
    "Thank you for listening. We'll be back next week with another conversation.",
]

FIRST_NAMES = [
    "Amara", "Daniel", "Ines", "Kwame", "Sofia", "Hiroshi", "Leila", "Marcus", "Nadia", "Oskar",
    "Priyanka", "Rafael", "Sunita", "Tobias", "Yara", "Elena", "Jonah", "Mei", "Felix", "Zainab",
    "Carlos", "Hannah", "Ibrahim", "Lucy", "Mateo", "Noor", "Patrick", "Rosa", "Stefan", "Aiko",
]
LAST_NAMES = [
    "Mensah", "Kowalczyk", "Herrera", "Lindqvist", "Tanaka", "Okonkwo", "Moreau", "Brennan",
    "Castillo", "Fischer", "Adebayo", "Novak", "Rahman", "Sullivan", "Petrov", "Ito", "Dubois",
    "Mwangi", "Kaur", "Ferreira", "Hughes", "Yilmaz", "Larsen", "Banerjee", "Quinn", "Alvarez",
]

# Sponsor reads: (brand, body). Openings and closings are combined per read.
SPONSORS = [
    ("Harbourline Bank", "Harbourline is a bank with no monthly fees and a savings account that actually explains itself. Open an account in about ten minutes at harbourline dot com slash listen."),
    ("Quillpad", "Quillpad is the note-taking app I use to plan every episode. It syncs across your phone and laptop and works offline. Try it free for thirty days at quillpad dot app."),
    ("Greenstep Shoes", "Greenstep makes shoes from recycled materials that you can actually walk in all day. Send your old pair back and they'll recycle it. Use code STEP for twenty percent off your first order."),
    ("Tidewater Meals", "Tidewater delivers fresh ingredients and simple recipes to your door every week, and you can skip a week whenever you like. Go to tidewater meals dot com and use the code TABLE for your first box half off."),
    ("Lumen Learning Lab", "Lumen has short courses taught by working professionals, from data analysis to woodworking. Your first month is free at lumen lab dot org."),
    ("Cobalt VPN", "Cobalt protects your connection on public wifi, at the airport, at the cafe, wherever. Get three extra months with the link in the show notes."),
    ("Ridgeway Outdoor", "Ridgeway makes waterproof jackets that pack into their own pocket and come with a lifetime repair promise. Listeners get fifteen percent off with code RIDGE."),
    ("Sparrow Insurance", "Sparrow offers renters insurance starting at a few dollars a month, with claims you can file from your phone. Get a quote in two minutes at sparrow dot insure."),
]

AD_OPENINGS = [
    "This episode is brought to you by {brand}.",
    "Before we go on, a quick word from our sponsor, {brand}.",
    "Support for this show comes from {brand}.",
    "This podcast is supported by {brand}.",
    "Today's sponsor is {brand}.",
]
AD_CLOSINGS = [
    "Okay, back to the show.",
    "Now, back to our conversation.",
    "Alright, let's get back to it.",
    "And we're back.",
    None,  # some reads end without a return cue
]

AD_LEADINS = [
    "Let's take a quick break.",
    "We'll be right back after this.",
    "Quick pause here.",
    "Alright, one quick thing first.",
]
COHOST_ENDORSEMENTS = [
    "I can vouch for that, I've been using it for a year.",
    "Honestly, I use it every week.",
    "And they're genuinely good, I'm not just saying that.",
]

REACTIONS = [
    "Right.", "Huh. Interesting.", "Mm-hm.", "Oh, wow.", "That makes sense.", "Yeah, totally.",
    "I did not know that.", "Okay, that's fascinating.", "Ha, fair enough.", "Sure, sure.",
]
FILLERS = ["Um, ", "Uh, ", "So, ", "I mean, ", "You know, ", "Honestly, ", "Yeah, so "]
QUESTION_PREFIXES = ["", "", "Okay. ", "So, ", "Um, ", "Let me ask you this. ", "Can I jump in? "]


def fill(template, values):
    return template.format(**values)


def ask(rng, question, values):
    """A host question with an optional spoken lead-in ("So, how ...")."""
    prefix = rng.choice(QUESTION_PREFIXES)
    q = fill(question, values)
    if prefix and not prefix.endswith((". ", "? ")) and not q.startswith("I "):
        q = q[0].lower() + q[1:]
    return prefix + q


def person(rng, used):
    while True:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        first = name.split()[0]
        if name not in used and all(first != u.split()[0] for u in used):
            used.add(name)
            return name


def disfluent(rng, text):
    if rng.random() < 0.5:
        keep_case = text.startswith(("I ", "I'")) or text[0].isdigit()
        return rng.choice(FILLERS) + (text if keep_case else text[0].lower() + text[1:])
    return text


def ad_text(rng, brand, body, closing):
    parts = [rng.choice(AD_OPENINGS).format(brand=brand), body]
    if rng.random() < 0.3:
        parts.insert(0, rng.choice(AD_LEADINS))
    if closing:
        parts.append(closing)
    return " ".join(parts)


def episode(rng, topic, show, number):
    used = set()
    hosts = [person(rng, used)]
    if rng.random() < 0.5:
        hosts.append(person(rng, used))
    guest = person(rng, used)
    speakers = {f"H{i}": {"name": n, "role": "host"} for i, n in enumerate(hosts)}
    speakers["G"] = {"name": guest, "role": "guest"}
    host_keys = [f"H{i}" for i in range(len(hosts))]
    values = {k: rng.choice(v) for k, v in topic["vars"].items()}

    n_points = rng.randint(min(5, len(topic["points"])), len(topic["points"]))
    chosen = sorted(rng.sample(range(len(topic["points"])), n_points))
    sponsors = rng.sample(SPONSORS, 2 if rng.random() < 0.4 else 1)
    ad_slots = sorted(rng.sample(range(1, n_points), len(sponsors)))

    turns = []
    intro = f"{show[1]} I'm {hosts[0]}."
    turns.append(("H0", intro))
    if len(hosts) > 1:
        turns.append(("H1", f"And I'm {hosts[1]}. {rng.choice(['Good to be here.', 'Hello hello.', 'Hi everyone.'])}"))
    turns.append((rng.choice(host_keys), f"Today we're talking about {topic['title'][0].lower() + topic['title'][1:]}, and our guest is {guest}, {topic['role']}. {guest.split()[0]}, welcome to the show."))
    turns.append(("G", rng.choice(["Thanks for having me.", "Thank you, it's great to be here.", "Happy to be here. I've been looking forward to this."])))

    used_ads = 0
    for slot, index in enumerate(chosen):
        q, a, _ = topic["points"][index]
        asker = rng.choice(host_keys)
        if used_ads < len(sponsors) and slot == ad_slots[used_ads]:
            brand, body = sponsors[used_ads]
            closing = rng.choice(AD_CLOSINGS)
            others = [k for k in host_keys if k != asker]
            if rng.random() < 0.5 and others and closing and rng.random() < 0.5:
                # The host reads the ad, the co-host chimes in and closes it.
                turns.append((asker, [("ad", ad_text(rng, brand, body, None))]))
                turns.append((others[0], [("ad", rng.choice(COHOST_ENDORSEMENTS) + " " + closing)]))
                turns.append((asker, ask(rng, q, values)))
            elif rng.random() < 0.5:
                # The host reads the ad in its own turn, then asks the next question.
                read = ad_text(rng, brand, body, closing)
                turns.append((asker, [("ad", read)]))
                turns.append((asker, ask(rng, q, values)))
            else:
                # The ad sits inside a turn, between a remark and the next question.
                read = ad_text(rng, brand, body, closing)
                turns.append((asker, [
                    ("say", rng.choice(["Great.", "Okay.", "I love that."])),
                    ("ad", read),
                    ("say", fill(q, values)),
                ]))
            used_ads += 1
        else:
            turns.append((asker, ask(rng, q, values)))
        answer = fill(a, values)
        if rng.random() < 0.2:
            # Cross-talk: guest and host start together, host yields.
            turns.append(("G", "So the thing is—"))
            turns.append((asker, "Sorry, go ahead."))
            turns.append(("G", "No, no, it's fine. " + answer))
        else:
            turns.append(("G", disfluent(rng, answer)))
        if rng.random() < 0.6:
            turns.append((rng.choice(host_keys), rng.choice(REACTIONS)))

    turns.append((rng.choice(host_keys), f"{guest}, thank you so much for coming on."))
    turns.append(("G", rng.choice(["Thank you, this was fun.", "My pleasure.", "Thanks for having me."])))
    turns.append(("H0", rng.choice(OUTROS)))

    summary_sentences = [fill(topic["lede"], values)]
    summary_sentences += [fill(topic["points"][i][2], values) for i in chosen][:5]
    summary = " ".join(s[0].upper() + s[1:] for s in summary_sentences) + "\n"

    return {
        "id": f"ep{number:02d}_{topic['key']}",
        "title": f"{show[0]}: {topic['title']}",
        "show": show[0],
        "speakers": speakers,
        "sponsors": [b for b, _ in sponsors],
        "turns": turns,
        "summary": summary,
        "label_style": rng.choice(["caps", "full", "first"]),
        "stamp_style": rng.choice(["hms", "hms", "mmss", "paren"]),
        "start": rng.randint(0, 20),
        "wrap": rng.choice([0, 0, 0, 96]),
    }


def episodes():
    rng = random.Random(SEED)
    out = []
    number = 1
    for round_ in range(EPISODES_PER_TOPIC):
        for topic in TOPICS:
            show = SHOWS[(number + round_) % len(SHOWS)]
            out.append(episode(rng, topic, show, number))
            number += 1
    return out


def raw_of(ep, turns, start):
    return render_raw(turns, ep["speakers"], ep["label_style"], ep["stamp_style"], start, ep["wrap"])


def write(root, stats):
    rng = random.Random(SEED + 1)
    eps = episodes()
    summaries = DatasetWriter(
        root,
        "podcast_summaries_full_v1",
        "summarization",
        f"{len(eps)} generated, fictional podcast episodes across ten topics (seed {SEED}, "
        "scripts/datasets/full_generator.py): multi-speaker transcripts with timestamps, speaker "
        "labels, filler, cross-talk and sponsor reads, each with a reference summary.",
    )
    cleaning = DatasetWriter(
        root,
        "transcript_cleaning_full_v1",
        "transcript_cleaning",
        f"{len(eps)} excerpts of the full-tier episodes (seed {SEED}); the reference removes "
        "timestamps, speaker labels and sponsor blocks and keeps everything else verbatim, one "
        "speaker turn per line.",
    )
    for ep in eps:
        names = [s["name"] for s in ep["speakers"].values()]
        meta = {
            "title": ep["title"],
            "show": ep["show"],
            "speakers": names,
            "sponsors": ep["sponsors"],
            "allow_sponsor_content": False,
        }
        raw = raw_of(ep, ep["turns"], ep["start"])
        stats.append(("podcast_summaries_full_v1", ep["id"], *summaries.add(ep["id"], raw, ep["summary"], meta)))

        # One excerpt per episode: 5 to 9 turns, around an ad read when the draw says so.
        turns = ep["turns"]
        ad_turns = [i for i, t in enumerate(turns) if not isinstance(t[1], str)]
        length = rng.randint(5, 9)
        if ad_turns and rng.random() < 0.7:
            centre = rng.choice(ad_turns)
            lo = max(0, min(centre - rng.randint(1, 3), len(turns) - length))
        else:
            lo = rng.randint(0, len(turns) - length)
        excerpt = turns[lo:lo + length]
        clip_id = "clip" + ep["id"][2:]
        clip_names = sorted({ep["speakers"][t[0]]["name"] for t in excerpt})
        clip_meta = dict(meta, speakers=clip_names, source_episode=ep["id"],
                         contains_sponsor_block=any(not isinstance(t[1], str) for t in excerpt),
                         # A cleaned transcript keeps what was said: sign-offs and spoken names.
                         allow_intros_outros=True, allow_speaker_names=True)
        clip_raw = raw_of(ep, excerpt, clock_before(turns, ep["start"], lo))
        stats.append(("transcript_cleaning_full_v1", clip_id, *cleaning.add(clip_id, clip_raw, render_clean(excerpt), clip_meta)))
    summaries.finish()
    cleaning.finish()
