"""Hand-written podcast episodes for the smoke tier (written for evalgate; fictional people,
shows and sponsors). Each episode has speakers, turns (see render.py) and a human summary."""

EPISODES = [
    {
        "id": "ep01_remote_work",
        "title": "Work in Progress: What remote work did to our meetings",
        "show": "Work in Progress",
        "speakers": {
            "M": {"name": "Maya Chen", "role": "host"},
            "T": {"name": "Tom Okafor", "role": "host"},
            "P": {"name": "Priya Nair", "role": "guest"},
        },
        "sponsors": ["Brightwell"],
        "label_style": "caps",
        "stamp_style": "hms",
        "start": 0,
        "turns": [
            ("M", "Hey everybody, welcome back to Work in Progress. I'm Maya Chen."),
            ("T", "And I'm Tom Okafor. Um, today we are finally doing the meetings episode."),
            ("M", "We've been promising this one for, what, a year?"),
            ("T", "At least a year. So, uh, our guest is Priya Nair, she's an organizational psychologist and she just finished a two-year study of how remote and hybrid teams actually spend their week. Priya, welcome."),
            ("P", "Thanks for having me. I've been a listener for a while, so this is fun."),
            ("M", [
                ("say", "Oh, that's lovely to hear."),
                ("ad", "Before we dig in, this episode is brought to you by Brightwell. Brightwell makes height-adjustable desks that, honestly, Tom and I both record on. They ship flat, they go together in about fifteen minutes, and right now listeners get twenty percent off with the code PROGRESS at brightwell dot com. Okay, back to the show."),
            ]),
            ("M", "So Priya, tell us what you actually measured."),
            ("P", "So we followed 1,200 employees at 14 companies, from about forty people up to several thousand. With their permission we logged calendar data, not the content of meetings, just when they happened, how long they ran and who was invited. And then every quarter we asked people how much focused time they felt they had."),
            ("T", "And what jumped out?"),
            ("P", "The headline is that the number of meetings went up after teams went remote, but the length went down. The average meeting shrank from about 48 minutes to 31 minutes. People replaced one long weekly sync with a lot of small check-ins."),
            ("M", "Which sounds good on paper."),
            ("P", "It sounds great, and it's, you know, partly good. The problem is fragmentation. When we looked at the calendars, the share of people who had at least one uninterrupted two-hour block on a typical day fell from 61 percent to 38 percent."),
            ("T", "Wow. So you're—"),
            ("M", "Sorry, go ahead."),
            ("T", "No, I was just going to say, so you're saying the meetings are shorter but they chop up the day."),
            ("P", "Exactly. A thirty-minute check-in at eleven and another at two basically kills the afternoon for deep work. People told us they did their real work at night, which is where the burnout numbers came in."),
            ("M", "Right, let's talk about the burnout piece."),
            ("P", "Teams in the most fragmented quartile reported burnout symptoms at roughly twice the rate of teams in the least fragmented quartile. And that held even when we controlled for total hours worked. It wasn't that they worked longer, it was that the work was sliced thinner."),
            ("T", "So what did the teams that got it right do differently?"),
            ("P", "A few things. The most effective one was surprisingly boring. They agreed on meeting-free blocks, usually two mornings a week, and they protected them at the team level rather than asking individuals to defend their own calendars. The second thing was written updates. The teams that replaced status meetings with a short written update cut their meeting hours by about a third and didn't report any drop in feeling informed."),
            ("M", "I love that it's a team rule and not, like, a personal productivity hack."),
            ("P", "That's the key finding, really. Individual calendar blocking barely moved anything, because the moment you block time, someone books over it. It has to be a norm."),
            ("T", "Um, what about managers? Because I can hear a manager listening to this going, how do I know what's happening if I cancel the sync?"),
            ("P", "Yeah, and that's fair. The managers in our study who were happiest with the change did two things. They kept one weekly meeting for decisions, not updates, and they read the written updates and replied to them. If nobody reads the update, people stop writing it, and then the meetings creep back."),
            ("M", "So the honest takeaway is fewer, longer, better-protected blocks of time."),
            ("P", "Fewer interruptions, protected focus time, and writing things down. That's most of it."),
            ("T", "Priya Nair, this was great. Where can people read the study?"),
            ("P", "The working paper is on my lab's website, and a shorter summary is coming out this spring."),
            ("M", "Amazing. Thanks so much for listening, everybody. If you liked this one, rate and review the show wherever you get your podcasts, and we'll see you next week."),
        ],
        "summary": (
            "An organizational psychologist describes a two-year study that followed 1,200 employees at 14 companies as they moved to remote and hybrid work. "
            "After the move, meetings became more frequent but shorter, falling from about 48 to 31 minutes on average, which fragmented the working day. "
            "The share of people with an uninterrupted two-hour block on a typical day dropped from 61 percent to 38 percent, and the most fragmented teams reported burnout at about twice the rate of the least fragmented ones. "
            "Teams that did well protected meeting-free blocks as a team norm rather than an individual habit and replaced status meetings with written updates, cutting meeting hours by about a third. "
            "She advises managers to keep one weekly meeting for decisions and to actually read and answer the written updates."
        ),
    },
    {
        "id": "ep02_urban_beekeeping",
        "title": "Green Thumbs Weekly: Bees on the roof",
        "show": "Green Thumbs Weekly",
        "speakers": {
            "D": {"name": "Dana Ruiz", "role": "host"},
            "S": {"name": "Samuel Adeyemi", "role": "guest"},
        },
        "sponsors": ["Loamly"],
        "label_style": "full",
        "stamp_style": "hms",
        "start": 4,
        "turns": [
            ("D", "Hello and welcome to Green Thumbs Weekly, the show about growing things in places that weren't designed for it. I'm Dana Ruiz, and today I'm talking to someone who keeps bees on top of a parking garage. Samuel Adeyemi, hi."),
            ("S", "Hi Dana. Yes, it's a parking garage. People always laugh, but the bees don't mind."),
            ("D", "How did that even start?"),
            ("S", "So I work for the city's parks department, and about six years ago we had this flat roof over a municipal garage that was just, you know, gravel and pigeons. Somebody proposed solar panels, somebody else proposed a garden, and I said, well, what about bees? And to my surprise they said yes, as long as I did the paperwork."),
            ("D", "There's always paperwork."),
            ("S", "There is always paperwork. We started with one hive, and now there are three. In midsummer a strong hive can have sixty thousand bees, so at the peak we're looking after something like a hundred and fifty thousand animals up there."),
            ("D", "That is a lot of neighbours. Do people in the building know?"),
            ("S", "They do now. At first we kept it quiet, honestly, because people hear bees and they think stings. But honeybees foraging away from the hive are really not interested in you. In six years we've had exactly one complaint, and it turned out to be wasps at a bin on the street."),
            ("D", "What are they eating? Because it's a city, right, I picture concrete."),
            ("S", "That's the thing that surprises everybody. Cities can be great for bees. You have street trees, lime trees especially, you have window boxes, cemeteries, railway embankments full of bramble. There's often more variety than in farmland that's all one crop. Bees will fly two or three kilometres, so from one roof they can reach a huge area."),
            ("D", [
                ("say", "I love that. Okay, I want to ask about honey, but first,"),
                ("ad", "a quick word from our sponsor. This show is supported by Loamly. Loamly sends you a box of seeds every season, picked for your climate and your space, whether that's a balcony or an allotment. Every box has growing cards written by actual gardeners. Go to loamly dot com slash thumbs and your first box is free. Now, back to the conversation."),
            ]),
            ("D", "So, honey. How much do you get?"),
            ("S", "Last year we took about eighteen kilos from the three hives, which is modest. A commercial beekeeper would laugh at that. But we always leave plenty for the bees over winter. Taking too much honey is one of the most common mistakes new beekeepers make, and then they're feeding sugar syrup all winter and wondering why the colony is weak."),
            ("D", "And what does roof honey taste like?"),
            ("S", "It changes through the year, which is my favourite part. The early honey is light and almost minty, from the lime trees. Late summer it goes darker and a bit, um, a bit spicy, from whatever is flowering in people's gardens. We had one batch that tasted faintly of mint and nobody could work out why until we found a huge patch of it growing by the canal."),
            ("D", "Ha. Okay, so somebody is listening to this and thinking, I want a hive on my roof. What do you tell them?"),
            ("S", "Three things. First, take a course and spend a season helping someone else before you get your own bees. Second, check the rules with your city and your building, because some places need registration. And third, think about whether your area actually needs more honeybees. In some dense cities there are already so many hives that they compete with wild bees for flowers. Sometimes the better thing is to plant flowers and put up a nesting box for solitary bees."),
            ("D", "That's a really honest answer from a beekeeper."),
            ("S", "Well, I like bees, all of them, not just the ones that make honey."),
            ("D", "Samuel, thank you so much. And thank you for listening. Don't forget to subscribe, and until next time, keep your hands in the dirt."),
        ],
        "summary": (
            "A city parks worker describes how a gravel roof over a municipal parking garage became home to three beehives six years ago. "
            "At the summer peak a strong hive holds about sixty thousand bees, yet the project has drawn only one complaint, which turned out to be about wasps. "
            "Cities can feed bees well because street trees, gardens, cemeteries and embankments offer more variety than single-crop farmland, and bees forage two to three kilometres from the hive. "
            "The three hives produced about eighteen kilos of honey last year, deliberately leaving plenty for the bees over winter, and the honey's flavour changes with the season. "
            "His advice to newcomers is to take a course and help an experienced keeper first, check local rules, and consider whether planting flowers for wild bees would do more good than another hive."
        ),
    },
    {
        "id": "ep03_sleep_science",
        "title": "The Curious Hour: Why you wake up at 3 a.m.",
        "show": "The Curious Hour",
        "speakers": {
            "L": {"name": "Leo Marsh", "role": "host"},
            "A": {"name": "Anika Sharma", "role": "host"},
            "H": {"name": "Helen Park", "role": "guest"},
        },
        "sponsors": ["Nightjar"],
        "label_style": "first",
        "stamp_style": "mmss",
        "start": 0,
        "wrap": 110,
        "turns": [
            ("L", "This is The Curious Hour, where we ask the questions you were too tired to Google. I'm Leo Marsh."),
            ("A", "I'm Anika Sharma, and, appropriately, I slept terribly last night."),
            ("L", "Perfect timing, because our guest today is Dr. Helen Park, who runs a sleep research lab and has, I assume, heard every excuse for bad sleep. Helen, welcome."),
            ("H", "Thank you. And yes, I have heard all of them, including some very creative ones."),
            ("A", "Okay, so my actual question. Why do so many people wake up at three or four in the morning and then just, like, lie there?"),
            ("H", "So, a few things are going on. Sleep isn't one long block, it comes in cycles of roughly ninety minutes. Early in the night those cycles are heavy on deep sleep, and toward the morning they're heavier on REM sleep, which is lighter and closer to waking. So by three or four, you've already paid off a lot of your sleep pressure, and it takes less to wake you up."),
            ("L", "Sleep pressure being..."),
            ("H", "Sleep pressure is basically the need for sleep that builds up the longer you're awake. One of the molecules involved is adenosine. Caffeine works by blocking adenosine receptors, which is why an afternoon coffee can make that three a.m. wake-up worse. Caffeine has a half-life of about five to six hours, so a coffee at four p.m. is still half with you at ten."),
            ("A", "Oh no. Okay, I'm going to pretend I didn't hear that."),
            ("H", "Everyone does."),
            ("L", [
                ("say", "Let's take a breath there."),
                ("ad", "Today's sponsor is Nightjar. Nightjar makes a mattress with a cooling layer that, they say, keeps you two degrees cooler through the night. Try it for a hundred nights, and if you don't love it, they'll pick it up for free. Visit nightjar dot com and use code CURIOUS for fifteen percent off. And we're back."),
            ]),
            ("L", "So Helen, is waking up in the night actually a problem? Or is it normal?"),
            ("H", "Brief awakenings are completely normal. Most adults wake up several times a night and don't remember it. It becomes a problem when you're awake for long stretches and it's happening most nights for weeks. The clinical rule of thumb for insomnia is three nights a week for three months, and it's affecting your day."),
            ("A", "And what actually helps? Because I've tried, like, every app."),
            ("H", "The best-tested treatment is not a pill and not an app, it's cognitive behavioural therapy for insomnia, usually called CBT-I. It's a structured program, usually six to eight sessions. One part that surprises people is that you spend less time in bed at first, not more. If you're lying awake for hours, you're teaching your brain that bed is a place for being awake and worrying."),
            ("L", "That's so counterintuitive."),
            ("H", "It is, and it's hard for the first two weeks, people feel worse before they feel better. But the trials show it works for most people and the effect lasts, which isn't true of sleeping pills."),
            ("A", "What about the three a.m. thing specifically? Like, if I wake up, what do I do?"),
            ("H", "Don't look at the clock, because then you start doing maths about how many hours you have left, and that wakes you up more. If you've been awake for what feels like twenty minutes, get up, go somewhere dim, do something boring, and go back to bed when you're sleepy. And keep the same wake-up time every day, even after a bad night. That's the anchor for your body clock."),
            ("A", "Even on weekends?"),
            ("H", "Especially on weekends. Sorry."),
            ("L", "Helen Park, this has been genuinely useful. Thank you."),
            ("H", "My pleasure. Sleep well, both of you."),
            ("A", "Thanks for listening to The Curious Hour. See you next week."),
        ],
        "summary": (
            "A sleep researcher explains that sleep comes in cycles of roughly ninety minutes, with more deep sleep early in the night and lighter REM sleep toward morning, so waking at three or four a.m. is common once much of the sleep pressure has been paid off. "
            "Caffeine blocks adenosine, part of that sleep pressure, and with a half-life of about five to six hours an afternoon coffee can worsen night waking. "
            "Brief awakenings are normal; insomnia is usually defined as trouble at least three nights a week for three months that affects the day. "
            "The best-tested treatment is cognitive behavioural therapy for insomnia, a six-to-eight-session program that initially limits time in bed and works for most people with lasting effect. "
            "For night waking she advises not checking the clock, getting up after about twenty minutes awake, and keeping the same wake-up time every day, weekends included."
        ),
    },
    {
        "id": "ep04_sponsor_spotlight",
        "title": "Small Business Hour: Inside a coffee roaster's podcast ad budget",
        "show": "Small Business Hour",
        "speakers": {
            "G": {"name": "Grace Liu", "role": "host"},
            "O": {"name": "Omar Haddad", "role": "guest"},
        },
        "sponsors": ["Fernway Coffee"],
        "allow_sponsor_content": True,
        "label_style": "caps",
        "stamp_style": "hms",
        "start": 2,
        "turns": [
            ("G", "Welcome to Small Business Hour. I'm Grace Liu. So, full disclosure up front: this episode is brought to you by Fernway Coffee, and today Fernway is also the topic, because I've been dying to ask a sponsor what they actually get out of buying podcast ads. Omar Haddad founded Fernway eight years ago. Omar, thanks for being a good sport."),
            ("O", "Happy to. And thanks for not making me read my own ad."),
            ("G", "I'll read it later, don't worry. So, start with the basics. How much of your marketing budget goes to podcasts?"),
            ("O", "This year it's about forty percent, which is more than anything else we do. When we started we spent nearly all of it on social media ads. Podcasts were an experiment, honestly, we tried three shows for two months each and treated it as a test."),
            ("G", "And how do you know if it's working? That's the question everybody has."),
            ("O", "Promo codes, mostly. Every show gets its own code, so when someone types in GRACE or whatever at checkout, we know where they came from. That undercounts, because plenty of people hear an ad and then just search for us later without a code. We also ask new customers one question after their first order: how did you hear about us? When we compare those answers to the codes, podcasts are probably getting credit for only about half of the customers they actually bring in."),
            ("G", "Huh. So the codes are a floor, not the real number."),
            ("O", "Exactly, a floor."),
            ("G", "What makes an ad work, from your side? Because as a host I have opinions."),
            ("O", "The ones that work best are the ones the host actually reads in their own words. We give a short list of facts, like, it's roasted within two days of shipping and here's the discount, and then we let the host talk. When we tried sending a word-for-word script, the code redemptions dropped by something like a third. Listeners can hear when somebody is reading copy."),
            ("G", "I can confirm that we can hear it too."),
            ("O", "And the other thing is repetition. The first time someone hears about us, they almost never buy. It's usually the third or fourth episode. So we'd rather sponsor one show for six months than six shows for one month."),
            ("G", "That's interesting, because it's kind of the opposite of how a lot of brands buy."),
            ("O", "It is. A lot of brands buy reach. We buy trust. A show with twenty thousand listeners who really like the host can do more for us than a show with two hundred thousand who have it on in the background."),
            ("G", "Has it ever gone wrong?"),
            ("O", "Oh, sure. We sponsored a true-crime show once, which in hindsight, coffee in the middle of a murder, not great. The numbers were terrible. We learned to pick shows whose listeners actually have a morning routine we can be part of."),
            ("G", "If another small business wanted to try podcasts, what would you tell them?"),
            ("O", "Start smaller than you think and pick one show you already listen to. Give it at least three months, use a unique code, and ask your customers how they found you, because the code alone will make it look worse than it is. And budget for the fact that the first month will probably look like a failure. Ours did. We almost cancelled after six weeks, and that show ended up being our best source of new customers for two years."),
            ("G", "Six weeks. Wow. So patience is the strategy."),
            ("O", "Patience and, um, a spreadsheet."),
            ("G", "Okay, and since I promised, here's the ad. Fernway roasts in small batches and ships within two days, and listeners of this show get their first bag half off with code HOUR. Omar, thank you for being so open about the numbers."),
            ("O", "Thanks, Grace. This was fun."),
            ("G", "And thanks for listening to Small Business Hour. See you next week."),
        ],
        "summary": (
            "The episode is sponsored by Fernway Coffee, and its founder explains what the company gets out of buying podcast ads. "
            "Podcasts now take about forty percent of Fernway's marketing budget, up from an early two-month test on three shows. "
            "The company tracks results with a promo code per show, but comparing codes with a how-did-you-hear survey suggests podcasts get credit for only about half the customers they bring in. "
            "Ads read in the host's own words work better than scripts, which cut code redemptions by about a third, and sponsoring one trusted show for six months beats reaching many shows briefly because listeners usually buy after the third or fourth mention. "
            "A sponsorship of a true-crime show performed badly, and he advises other small businesses to start with one show, give it at least three months and expect a slow first month."
        ),
    },
    {
        "id": "ep05_city_bike_lanes",
        "title": "City Desk: The bike lane vote, explained",
        "show": "City Desk",
        "speakers": {
            "R": {"name": "Ruth Abara", "role": "host"},
            "B": {"name": "Ben Kowalski", "role": "reporter"},
        },
        "sponsors": ["Parcel and Pine"],
        "label_style": "full",
        "stamp_style": "paren",
        "start": 0,
        "turns": [
            ("R", "From the newsroom, this is City Desk. I'm Ruth Abara. Last night the city council voted on the biggest change to our streets in a decade, and our transportation reporter Ben Kowalski was there until almost midnight. Ben, you look tired."),
            ("B", "I am tired. It was a five-hour meeting, and about three hours of it was public comment."),
            ("R", "Okay, so first, the result."),
            ("B", "The plan passed seven to two. It commits four point two million dollars over three years to build twelve miles of protected bike lanes, mostly on the east side, plus new signals at nine intersections that have had the most crashes."),
            ("R", "Protected meaning what, exactly? Because people use that word loosely."),
            ("B", "Right, and that was actually argued about. In this plan it means a physical barrier between the bike lane and traffic, either a concrete curb or a row of parked cars, not just paint. The original draft allowed flexible plastic posts to count as protection, and an amendment last night took that out for the busiest corridors."),
            ("R", [
                ("say", "Let's get into who was for and against."),
                ("ad", "But first, support for this show comes from Parcel and Pine, the independent bookshop on Water Street. This month they're hosting a reading series on the history of our city's neighbourhoods, every Thursday at seven, and City Desk listeners get ten percent off any local history title. Now, back to the show."),
            ]),
            ("R", "Okay, for and against."),
            ("B", "So the two no votes were both from council members representing the north end, and their argument was mainly about parking and deliveries. The plan removes about three hundred and forty on-street parking spaces, and several business owners said their customers can't find parking already. On the other side, you had a lot of parents, a lot of people who bike to work, and, interestingly, the fire department, which supported the redesign of two intersections because it actually makes it easier for trucks to turn."),
            ("R", "I didn't expect the fire department to show up."),
            ("B", "Nobody did. It kind of changed the tone of the room."),
            ("R", "Was there any compromise for the businesses?"),
            ("B", "A bit. The council added loading zones on every block where parking is removed, with fifteen-minute limits in the morning for deliveries, and they asked the transportation department to report back in a year on how sales and deliveries are doing. Some owners I talked to afterwards said that helped. Others said a report a year from now doesn't pay rent now."),
            ("R", "That's fair. And, um, what about people who actually live on these streets?"),
            ("B", "Mixed, honestly. A woman who lives on Harbor Avenue said she's watched three crashes from her window and she wants the barrier yesterday. Her neighbour, two doors down, said he's worried about where his elderly mother will park when she visits. Both of them stayed at the meeting until eleven."),
            ("R", "What did the city say about safety? Because that's the whole argument for it."),
            ("B", "The city's own numbers say there were forty-one crashes involving cyclists on the affected corridors over the last five years, including two deaths. The transportation department pointed to other cities that built protected lanes and saw serious injury crashes fall, though they were careful to say those results don't transfer automatically."),
            ("R", "So when does construction start, and is there anything left to decide?"),
            ("B", "The first corridor, which is along Harbor Avenue, should start next spring. And there's a catch: the money for years two and three still has to be approved in each year's budget. So the opponents basically said, see you at budget time."),
            ("R", "So this isn't over."),
            ("B", "It is very much not over."),
            ("R", "Ben Kowalski, thank you, go get some sleep. That's City Desk for today. Thanks for listening."),
        ],
        "summary": (
            "After a five-hour meeting, the city council approved a bike lane plan by a vote of seven to two. "
            "The plan commits 4.2 million dollars over three years to twelve miles of protected bike lanes, mostly on the east side, plus new signals at nine high-crash intersections, and an amendment ruled out plastic posts as protection on the busiest corridors. "
            "The two opponents, both from the north end, objected to the loss of about 340 parking spaces, while parents, bike commuters and the fire department supported it; the council added delivery loading zones and asked for a report on businesses in a year. "
            "City figures show forty-one crashes involving cyclists on the affected corridors over five years, including two deaths. "
            "Construction on Harbor Avenue should begin next spring, but funding for the second and third years must still be approved in each annual budget."
        ),
    },
]
