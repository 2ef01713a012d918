"""The relevance test set's corpus: hand-written key articles and generated background copy.

    .venv/bin/python bench/relevance_corpus.py DIR     # writes the articles into DIR

The key articles are the ones `bench/relevance.jsonl` judges: names in several spellings
(Zelensky/Zelenskyy/Zelenskiy, Gaddafi/Qaddafi/Gadhafi, Yushchenko/Yuschenko), names that sit
one sound away from common words or other names (Tokyo/Togo, Korea/Corey, Volcker/Walker,
cocoa/Coca-Cola, minister/Monsters, interest/Interstate) and a misspelling (`goverment`). The
background articles are generated from a fixed seed so the corpus is the same on every run; they
give the index ordinary document frequencies and never use the judged words in a headline.
Three house styles: Reuters 1980s copy (capitals headline, hard-wrapped and indented, `REUTER`
sign-off), modern agency copy (AP/AFP/Reuters datelines and a rights line) and BBC-style copy
(title-case headline, no dateline).
"""

import random
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

SEED = 19


@dataclass(frozen=True)
class Story:
    """One article: ``style`` is ``reuters1987``, ``wire`` or ``bbc``."""

    name: str
    style: str
    title: str
    paragraphs: tuple[str, ...]
    place: str = ""
    agency: str = ""
    year: int = 0

    def render(self) -> str:
        if self.style == "reuters1987":
            first, *rest = self.paragraphs
            lines = textwrap.wrap(f"{self.place}, March 3 - {first}", width=66)
            for paragraph in rest:
                lines += textwrap.wrap(
                    paragraph, width=66, initial_indent="    ", subsequent_indent=""
                )
            return "\n".join([self.title.upper(), *lines, " REUTER"]) + "\n"
        first, *rest = self.paragraphs
        if self.style == "wire":
            first = f"{self.place} ({self.agency}) - {first}"
        notice = f"Copyright © {self.year}, {self.agency or 'BBC'}. All rights reserved."
        return "\n".join([self.title, first, *rest, notice]) + "\n"


def reuters(name: str, title: str, place: str, *paragraphs: str) -> Story:
    return Story(name, "reuters1987", title, paragraphs, place=place)


def wire(name: str, agency: str, year: int, title: str, place: str, *paragraphs: str) -> Story:
    return Story(name, "wire", title, paragraphs, place=place, agency=agency, year=year)


def bbc(name: str, year: int, title: str, *paragraphs: str) -> Story:
    return Story(name, "bbc", title, paragraphs, year=year)


KEY_STORIES = (
    # Tokyo, and Togo one sound away: short Togo headlines outscore Tokyo in a body by BM25.
    reuters(
        "tokyo-stocks",
        "TOKYO STOCKS CLOSE HIGHER ON EXPORT BUYING",
        "TOKYO",
        "Tokyo share prices closed higher in active trading as investors bought export-oriented"
        " issues on hopes of a steadier yen, brokers said.",
        "The market's key index rose 112.45 points to 21,356.78. Dealers said foreign investors"
        " were net buyers of electrical and precision instrument shares.",
        "Volume was estimated at 900 mln shares against 780 mln yesterday.",
    ),
    wire(
        "tokyo-gallery",
        "AP",
        2019,
        "Tokyo gallery reopens after two-year restoration",
        "TOKYO",
        "A century-old gallery in central Tokyo reopened on Saturday after a restoration that"
        " strengthened the building against earthquakes.",
        "Curators said the first exhibition would show woodblock prints lent by private owners.",
    ),
    bbc(
        "japan-exports",
        2021,
        "Japan's Exports Rise for a Third Month",
        "Japan's exports rose for a third month in a row in September, helped by demand for cars"
        " and semiconductors, figures released on Monday showed.",
        "Officials in Tokyo said shipments to the United States grew fastest, while sales to"
        " Europe were flat. Economists expect growth to slow in the winter as energy costs bite.",
        "The trade balance returned to a small surplus for the first time since the spring.",
    ),
    bbc("togo-vote", 2020, "Togo Votes in Presidential Poll", "Voters in Togo queued early."),
    bbc("togo-football", 2010, "Togo Football Team Returns Home", "Togo's players flew home."),
    wire(
        "togo-port",
        "AFP",
        2016,
        "Togo expands Lome port",
        "LOME",
        "Togo opened a new container terminal on Tuesday.",
    ),
    reuters("togo-phosphate", "TOGO RAISES PHOSPHATE OUTPUT", "LOME", "Togo mined more phosphate."),
    # minister, and Monsters (a capitalised name one sound away).
    bbc(
        "prime-minister-budget",
        2018,
        "Prime Minister Defends Budget Cuts",
        "The prime minister defended spending cuts in parliament on Wednesday, saying the"
        " government had no choice after a year of weak tax receipts.",
        "Opposition leaders said the minister had misled voters about hospital funding.",
    ),
    wire(
        "finance-minister-resigns",
        "Reuters",
        2013,
        "Finance minister resigns over tax scandal",
        "ROME",
        "Italy's finance minister resigned on Friday after prosecutors opened an inquiry into"
        " tax declarations made by his former firm.",
        "The prime minister accepted the resignation and named a deputy as acting minister.",
    ),
    reuters(
        "oil-minister",
        "SAUDI OIL MINISTER SEES STABLE PRICES",
        "RIYADH",
        "Saudi Arabia's oil minister said he expected crude prices to remain stable through the"
        " second half of the year as OPEC members kept to their quotas.",
    ),
    bbc(
        "monsters-festival",
        2012,
        "Monsters of Rock Returns to Donington",
        "Monsters of Rock, the heavy metal festival, is to return to Donington Park next summer.",
        "Organisers said Monsters would host four bands on a single stage.",
    ),
    bbc(
        "argonaut-founder",
        2015,
        "Argonaut Founder Rebuilds Empire",
        "The founder of Argonaut Games, whose Monsters series sold millions of copies, has opened"
        " a new studio in Cambridge.",
    ),
    # interest rates, and Interstate (First Interstate Bancorp).
    reuters(
        "us-interest-rates",
        "U.S. INTEREST RATES SEEN STEADY, ANALYSTS SAY",
        "NEW YORK",
        "U.S. interest rates are likely to hold steady in the coming weeks as the Federal Reserve"
        " waits for clearer signs of economic growth, analysts said.",
        "Short-term interest rates edged lower in late trading.",
    ),
    wire(
        "mortgage-interest",
        "AP",
        2023,
        "Mortgage interest rates climb to highest level in two decades",
        "WASHINGTON",
        "Average long-term mortgage interest rates rose again this week, pushing home buying"
        " further out of reach for many Americans.",
    ),
    reuters(
        "bank-interest-rates",
        "BUNDESBANK LEAVES INTEREST RATES UNCHANGED",
        "FRANKFURT",
        "The Bundesbank central bank council left interest rates unchanged at its meeting today,"
        " a bank spokesman said.",
    ),
    reuters(
        "first-interstate-notes",
        "FIRST INTERSTATE SELLS CAPITAL NOTES",
        "LOS ANGELES",
        "First Interstate Bancorp said it sold 200 mln dlrs of capital notes due 1997 through"
        " underwriters led by Salomon Brothers.",
        "First Interstate said proceeds would be used for general corporate purposes.",
    ),
    reuters(
        "interstate-bakeries",
        "INTERSTATE BAKERIES RAISES QUARTERLY DIVIDEND",
        "KANSAS CITY",
        "Interstate Bakeries Corp raised its quarterly dividend to 12 cts a share from 10 cts.",
    ),
    # Korea, and Corey (Lewandowski) one sound away.
    reuters(
        "south-korea-surplus",
        "SOUTH KOREA'S TRADE SURPLUS WIDENS IN FEBRUARY",
        "SEOUL",
        "South Korea's trade surplus widened to 410 mln dlrs in February from 220 mln in January,"
        " the trade ministry said.",
        "Exports of ships and electronics led the rise.",
    ),
    wire(
        "north-korea-missile",
        "AP",
        2017,
        "North Korea fires missile over Japan",
        "SEOUL",
        "North Korea fired a ballistic missile over northern Japan on Tuesday, officials in"
        " Seoul and Tokyo said, drawing condemnation from around the region.",
        "South Korea's military said the missile flew about 2,700 kilometres.",
    ),
    bbc(
        "korea-talks",
        2018,
        "Korea Summit: Leaders Agree to Work for Peace",
        "The leaders of North and South Korea agreed on Friday to work towards a formal end to"
        " the war, at a summit in the border village of Panmunjom.",
    ),
    wire(
        "corey-lewandowski-1",
        "AP",
        2016,
        "Corey Lewandowski out as campaign manager",
        "NEW YORK",
        "Corey Lewandowski was dismissed as campaign manager on Monday.",
    ),
    wire(
        "corey-lewandowski-2",
        "AP",
        2017,
        "Corey Lewandowski testifies before committee",
        "WASHINGTON",
        "Corey Lewandowski told lawmakers he would not answer some questions.",
    ),
    bbc("corey-book", 2018, "Corey Lewandowski Book Tops Charts", "Corey's memoir sold well."),
    # Volcker, and Walker.
    reuters(
        "volcker-testimony",
        "VOLCKER SAYS FED WILL RESIST INFLATION",
        "WASHINGTON",
        "Federal Reserve Board Chairman Paul Volcker told Congress the Fed would resist any"
        " renewed rise in inflation.",
        "Volcker said the dollar's decline had gone far enough.",
    ),
    reuters(
        "volcker-dollar",
        "VOLCKER WARNS ON DOLLAR DECLINE",
        "WASHINGTON",
        "Paul Volcker warned that a further fall in the dollar could hurt the economy.",
    ),
    reuters(
        "volcker-banks",
        "VOLCKER URGES BANKS TO LEND TO DEBTOR NATIONS",
        "NEW YORK",
        "Federal Reserve Chairman Paul Volcker urged commercial banks to keep lending to heavily"
        " indebted developing countries.",
    ),
    bbc(
        "volcker-rule",
        2014,
        "Volcker Rule Comes into Force",
        "The Volcker rule, named after the former Federal Reserve chairman, bans banks from"
        " trading on their own account.",
    ),
    reuters(
        "walker-telecom",
        "WALKER TELECOMMUNICATIONS NAMES PRESIDENT",
        "NEW YORK",
        "Walker Telecommunications Corp said it named a new president.",
    ),
    reuters(
        "walker-telecom-net",
        "WALKER TELECOMMUNICATIONS 4TH QTR NET",
        "NEW YORK",
        "Walker Telecommunications Corp said fourth quarter net rose.",
    ),
    bbc("walker-hike", 2019, "Walker Completes Coast Path", "Walker finished the long trail."),
    # government, and its misspellings.
    bbc(
        "governess-novel",
        2011,
        "Novel About a Governess Wins Prize",
        "A novel about a Victorian governess has won a literary prize.",
    ),
    wire(
        "goverment-typo",
        "AFP",
        2020,
        "Ministers meet on flood relief",
        "DHAKA",
        "The goverment promised relief for families driven from their homes by the floods.",
    ),
    bbc(
        "governmental-review",
        2016,
        "Review of Governmental Agencies Published",
        "A review of governmental agencies recommended merging several of them.",
    ),
    # Yushchenko in three spellings.
    wire(
        "yushchenko-poisoning",
        "Reuters",
        2004,
        "Doctors confirm Yushchenko was poisoned with dioxin",
        "VIENNA",
        "Doctors at a Vienna clinic said on Saturday that Ukrainian opposition leader Viktor"
        " Yushchenko had been poisoned with dioxin.",
    ),
    wire(
        "yushchenko-inauguration",
        "AP",
        2005,
        "Yushchenko sworn in as Ukraine's president",
        "KIEV",
        "Viktor Yushchenko was sworn in as Ukraine's president on Sunday before a crowd in Kiev.",
    ),
    bbc(
        "yushchenko-orange",
        2005,
        "Orange Revolution Ends with Yushchenko Victory",
        "Yushchenko won the rerun election after weeks of protests in Kiev.",
    ),
    bbc(
        "yuschenko-visit",
        2006,
        "Yuschenko Visits Brussels",
        "Ukrainian President Viktor Yuschenko met European Union leaders in Brussels.",
    ),
    wire(
        "juschtschenko-berlin",
        "dpa",
        2005,
        "Juschtschenko in Berlin",
        "BERLIN",
        "Der ukrainische Präsident Viktor Juschtschenko traf am Dienstag in Berlin ein.",
    ),
    # Zelensky in three spellings, Kyiv and Kiev.
    bbc(
        "zelensky-speech",
        2022,
        "Zelensky Addresses Parliament",
        "Ukraine's President Volodymyr Zelensky addressed MPs by video link from Kyiv.",
    ),
    wire(
        "zelenskyy-aid",
        "AP",
        2023,
        "Zelenskyy asks allies for more air defense",
        "KYIV",
        "President Volodymyr Zelenskyy asked allies on Thursday for more air defense systems.",
    ),
    wire(
        "zelenskiy-talks",
        "Reuters",
        2019,
        "Zelenskiy pledges to end war in east Ukraine",
        "KIEV",
        "Ukraine's new President Volodymyr Zelenskiy pledged to end the war in the east.",
    ),
    # Gaddafi in three spellings.
    bbc(
        "gaddafi-lockerbie",
        2009,
        "Gaddafi Welcomes Lockerbie Bomber Home",
        "Colonel Gaddafi welcomed the man convicted of the Lockerbie bombing back to Tripoli.",
    ),
    bbc(
        "gaddafi-killed",
        2011,
        "Colonel Gaddafi Killed in Sirte",
        "Libya's former leader Muammar Gaddafi was killed as fighters captured his home town.",
    ),
    reuters(
        "qaddafi-oil",
        "QADDAFI SAYS LIBYA WILL CUT OIL OUTPUT",
        "TRIPOLI",
        "Libyan leader Muammar Qaddafi said Libya would cut oil output to support prices.",
    ),
    wire(
        "gadhafi-tent",
        "AP",
        2009,
        "Gadhafi pitches tent in New York suburb",
        "NEW YORK",
        "Moammar Gadhafi pitched a Bedouin tent on an estate north of New York City.",
    ),
    # cocoa, and Coca-Cola.
    reuters(
        "bahia-cocoa",
        "BAHIA COCOA REVIEW",
        "SALVADOR",
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought"
        " and improving prospects for the coming temporao.",
        "Arrivals for the week were 155,221 bags of 60 kilos.",
    ),
    reuters(
        "ivory-coast-cocoa",
        "COCOA PRICES FALL ON IVORY COAST CROP HOPES",
        "LONDON",
        "Cocoa futures fell on hopes of a large Ivory Coast mid-crop, dealers said.",
    ),
    reuters(
        "ghana-cocoa",
        "GHANA COCOA PURCHASES RISE",
        "ACCRA",
        "Ghana's Cocoa Marketing Board said purchases rose to 210,000 tonnes.",
    ),
    reuters(
        "coca-cola-net",
        "COCA-COLA CO 4TH QTR NET",
        "ATLANTA",
        "Coca-Cola Co said fourth quarter net rose.",
    ),
    reuters(
        "coca-cola-bottling",
        "COCA-COLA BOTTLING BUYS FRANCHISE",
        "CHARLOTTE",
        "Coca-Cola Bottling Co Consolidated said it bought a franchise.",
    ),
    wire(
        "coca-cola-sugar",
        "AP",
        2018,
        "Coca-Cola cuts sugar in flagship drink",
        "ATLANTA",
        "Coca-Cola said it would cut sugar in its best-selling drink in several markets.",
    ),
    # Accents and a transliterated place.
    wire(
        "melenchon-rally",
        "AFP",
        2022,
        "Mélenchon draws thousands to Paris rally",
        "PARIS",
        "Jean-Luc Mélenchon told supporters at a rally in Paris that the left could win.",
    ),
    wire(
        "sao-paulo-rain",
        "Reuters",
        2020,
        "Floods hit São Paulo after record rain",
        "SAO PAULO",
        "Record rainfall flooded streets across São Paulo on Monday, the city said.",
    ),
    # al-Qaeda and al-Qaida.
    bbc(
        "al-qaeda-leader",
        2011,
        "Al-Qaeda Names New Leader",
        "Al-Qaeda has named Ayman al-Zawahiri as its new leader, a statement said.",
    ),
    wire(
        "al-qaida-yemen",
        "AP",
        2015,
        "Al-Qaida fighters seize Yemen port",
        "SANAA",
        "Al-Qaida fighters seized a port city in southern Yemen on Thursday.",
    ),
    # Ordinary news.
    reuters(
        "opec-oil-prices",
        "OPEC AGREES OUTPUT CEILING TO PROP UP OIL PRICES",
        "VIENNA",
        "OPEC oil ministers agreed to a production ceiling of 15.8 mln barrels a day to support"
        " oil prices, delegates said.",
    ),
    reuters(
        "coffee-quotas",
        "COFFEE QUOTA TALKS COLLAPSE IN LONDON",
        "LONDON",
        "Talks on restoring International Coffee Organization export quotas collapsed after"
        " producers and consumers failed to agree on how to share them.",
        "Coffee prices fell sharply after the talks ended.",
    ),
    wire(
        "turkey-earthquake",
        "AFP",
        2023,
        "Powerful earthquake strikes southern Turkey",
        "ANKARA",
        "A powerful earthquake struck southern Turkey before dawn on Monday, toppling buildings"
        " in several cities.",
    ),
    bbc(
        "election-results",
        2019,
        "Election Results: Conservatives Win Majority",
        "The Conservatives won a majority of 80 seats as election results came in overnight.",
    ),
    wire(
        "world-cup-final",
        "AP",
        2022,
        "Argentina wins World Cup final on penalties",
        "LUSAIL",
        "Argentina beat France on penalties to win the World Cup final.",
    ),
    reuters(
        "uk-inflation",
        "U.K. INFLATION RATE RISES TO 3.9 PCT",
        "LONDON",
        "Britain's annual inflation rate rose to 3.9 pct in January, figures showed.",
    ),
    reuters(
        "wheat-harvest",
        "SOVIET WHEAT HARVEST SEEN BELOW TARGET",
        "WASHINGTON",
        "The Soviet wheat harvest is likely to fall below target after a dry spring, the"
        " Agriculture Department said.",
    ),
    bbc(
        "miners-strike",
        2014,
        "Miners' Strike Remembered Thirty Years On",
        "Former miners gathered to remember the strike that divided coalfield communities.",
    ),
    reuters(
        "budget-deficit",
        "U.S. BUDGET DEFICIT NARROWS IN FEBRUARY",
        "WASHINGTON",
        "The U.S. budget deficit narrowed to 13.5 billion dlrs in February, the Treasury said.",
    ),
    wire(
        "privatisation-rail",
        "Reuters",
        1996,
        "Rail privatisation completed with final franchise",
        "LONDON",
        "The last passenger franchise was sold, completing the privatisation of British Rail.",
    ),
    reuters(
        "privatization-mexico",
        "MEXICO PLANS PRIVATIZATION OF STATE AIRLINE",
        "MEXICO CITY",
        "Mexico plans the privatization of its state airline, officials said.",
    ),
    wire(
        "federal-reserve-hike",
        "AP",
        2022,
        "Fed raises key rate by three-quarters of a point",
        "WASHINGTON",
        "The Federal Reserve raised its benchmark rate by three-quarters of a point on Wednesday.",
    ),
    wire(
        "seoul-marathon",
        "AFP",
        2019,
        "Seoul marathon draws record field",
        "SEOUL",
        "A record field of runners took part in the Seoul marathon on Sunday.",
    ),
)

# Background copy: words chosen to stay clear of every judged word in the headline, while the
# bodies use the everyday vocabulary a wire carries (government, minister, prices, ...).
SUBJECTS = (
    ("city council", "council"),
    ("water board", "board"),
    ("teachers' union", "union"),
    ("port authority", "authority"),
    ("health service", "service"),
    ("transport agency", "agency"),
    ("farmers' cooperative", "cooperative"),
    ("police force", "force"),
)
ACTIONS = (
    "approves new plan for",
    "delays decision on",
    "reports progress on",
    "opens talks over",
    "seeks funds for",
    "publishes review of",
)
OBJECTS = (
    "river crossings",
    "school buildings",
    "harbour repairs",
    "rural bus routes",
    "hospital wards",
    "flood defences",
    "grain storage",
    "street lighting",
    "library hours",
    "railway stations",
)
PLACES = ("LONDON", "NAIROBI", "MANILA", "LIMA", "OSLO", "DUBLIN", "CHICAGO", "SYDNEY", "ACCRA")
SENTENCES = (
    "The government said it would publish a full response in the spring.",
    "A spokesman said the proposal had broad support among residents.",
    "Critics said the cost had risen sharply since the plan was first announced.",
    "The minister responsible is expected to visit the site next month.",
    "Officials said prices for materials had doubled over two years.",
    "Local newspapers reported that several contractors had bid for the work.",
    "The scheme will be paid for partly by a regional development fund.",
    "Trade unions said staff had not been consulted about the changes.",
    "Engineers warned that older structures needed urgent inspection.",
    "The board will meet again after the summer recess.",
    "Residents complained about noise during the previous phase of work.",
    "Analysts said the decision could affect jobs in the surrounding area.",
)
BACKGROUND_COUNT = 240


def background_stories(count: int = BACKGROUND_COUNT, seed: int = SEED) -> list[Story]:
    """``count`` distinct ordinary stories, the same ones for the same seed."""
    chooser = random.Random(seed)
    stories = []
    for number in range(count):
        subject, short = SUBJECTS[number % len(SUBJECTS)]
        action = ACTIONS[(number // len(SUBJECTS)) % len(ACTIONS)]
        thing = OBJECTS[(number // (len(SUBJECTS) * len(ACTIONS))) % len(OBJECTS)]
        place = chooser.choice(PLACES)
        headline = f"{subject.capitalize()} {action} {thing}"
        lede = (
            f"The {subject} in {place.title()} {action.split()[0].rstrip('s')}d"
            f" a decision about {thing} on Tuesday, ending months of uncertainty."
            if action.startswith("approves")
            else f"The {subject} {action} {thing}, its {short} chair said on Tuesday."
        )
        body = tuple(chooser.sample(SENTENCES, 3))
        style = ("reuters1987", "wire", "bbc")[number % 3]
        name = f"background-{number:03}"
        if style == "reuters1987":
            stories.append(reuters(name, headline, place, lede, *body))
        elif style == "wire":
            agency = ("AP", "AFP", "Reuters")[number % 3 and chooser.randrange(3)]
            stories.append(wire(name, agency, 1990 + number % 35, headline, place, lede, *body))
        else:
            stories.append(bbc(name, 1995 + number % 30, headline.title(), lede, *body))
    return stories


def write_corpus(folder: Path) -> int:
    """Write every story into ``folder`` as ``NAME.txt``; the number written."""
    folder.mkdir(parents=True, exist_ok=True)
    stories = [*KEY_STORIES, *background_stories()]
    for story in stories:
        (folder / f"{story.name}.txt").write_text(story.render(), encoding="utf-8")
    return len(stories)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(f"{write_corpus(Path(sys.argv[1]))} articles written to {sys.argv[1]}")
