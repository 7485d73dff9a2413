//! Stage 2 of attribution: mentions. The frame is chunked into noun phrases that could name a
//! speaker (names, role phrases, organisations, pronouns), which are resolved once, in text
//! order: the gazetteer first, then an earlier full name of the same article (`Lavrov` after
//! `Sergei Lavrov`), then a role introduced with a name (`the spokesman` after `Kremlin
//! spokesman Dmitry Peskov`); pronouns find the nearest earlier compatible subject event. The
//! helpers below (subject of a cue, the NP after an inverted cue, the clause subject, unnamed
//! descriptions) are what the sieves are made of.

use super::cues::{with_lower, with_lower_bytes};
use super::frame::{is_cap, is_cap_compound_adjective, Frame, TK};
use super::gazetteer::{normalize, normalize_role, Gender, Kind};
use super::lexicon::List;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NpKind {
    Name,
    Role,
    Pronoun,
}

/// A resolved noun phrase that could name a speaker (token range `a..b`).
#[derive(Debug, Clone)]
pub(super) struct Np {
    pub a: usize,
    pub b: usize,
    pub kind: NpKind,
    /// Byte span of the part naming the speaker (name without titles; the role phrase; pronoun).
    pub span: (usize, usize),
    pub canonical: Option<String>,
    pub gender: Gender,
    pub ekind: Kind,
    /// Sentence-initial single capitalised word not otherwise known: only trusted next to a cue.
    pub weak: bool,
    /// The name (or role) was found in the gazetteer.
    pub in_gazetteer: bool,
}

/// A "subject" event for pronoun resolution: who was last talked about as an agent.
#[derive(Debug, Clone)]
pub(super) struct Event {
    pub tok: usize,
    pub np: usize,
}

/// Every mention of an article with its indices.
pub(super) struct Mentions {
    pub nps: Vec<Np>,
    /// Per token: the NP ending at it (`u32::MAX` for none).
    pub at_end: Vec<u32>,
    /// Per token: the NP starting at it.
    pub at_start: Vec<u32>,
    pub events: Vec<Event>,
}

impl Frame<'_> {
    /// Chunks, indexes and resolves the mentions of the frame.
    pub(super) fn mentions(&self) -> Mentions {
        let mut nps = self.chunk();
        let mut at_end = vec![u32::MAX; self.toks.len()];
        let mut at_start = vec![u32::MAX; self.toks.len()];
        for (i, np) in nps.iter().enumerate() {
            at_end[np.b - 1] = i as u32;
            at_start[np.a] = i as u32;
        }
        self.resolve(&mut nps);
        let events = self.events(&nps);
        Mentions {
            nps,
            at_end,
            at_start,
            events,
        }
    }

    /// The speaker a mention names: its canonical name, or for a pronoun its antecedent's.
    pub(super) fn speaker_of<'m>(&self, k: usize, m: &'m Mentions) -> Option<&'m str> {
        let np = &m.nps[k];
        match np.kind {
            NpKind::Pronoun => self
                .pronoun(np, &m.nps, &m.events)
                .and_then(|r| m.nps[r].canonical.as_deref()),
            _ => np.canonical.as_deref(),
        }
    }

    /// Chunks the frame into candidate noun phrases.
    pub(super) fn chunk(&self) -> Vec<Np> {
        let n = self.toks.len();
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            if !self.is_word(i) {
                i += 1;
                continue;
            }
            if self.tf(i, List::Pronouns) {
                out.push(self.np(i, i + 1, NpKind::Pronoun));
                i += 1;
                continue;
            }
            let mut a = i;
            let mut j = i;
            if self.tf(i, List::Determiners) {
                j += 1;
            }
            let body = j;
            while j < n && self.is_word(j) {
                let x = self.w(j);
                let cap = is_cap(x) && !is_cap_compound_adjective(x);
                if self.is_cue(j) && (!cap || self.tf(j, List::CapVerbs)) {
                    break;
                }
                if self.tf(j, List::Pronouns) {
                    break;
                }
                if cap {
                    if j == body
                        && j == self.sent_start(j)
                        && self.tf(j, List::Common)
                        && !self.tf(j, List::Determiners)
                    {
                        break;
                    }
                    j += 1;
                } else if self.tf(j, List::RoleWords)
                    // `j > body` first: it guards `j - 1` (a text can open with "of").
                    || (j > body
                        && (self.tf(j, List::Particles)
                            || ((x == "of" || x == "for")
                                && (self.tf(j - 1, List::TitleWords)
                                    || self.tf(j - 1, List::RoleWords))))
                        && j + 1 < n
                        && self.is_word(j + 1)
                        && is_cap(self.w(j + 1)))
                {
                    j += 1;
                } else {
                    break;
                }
                // Mr. Trump, Jane A. Public: a title abbreviation's or an initial's dot stays
                // inside the phrase.
                if j + 1 < n
                    && self.is_punct(j, ".")
                    && (self.tf(j - 1, List::TitleAbbrev) || self.is_initial(j - 1))
                    && self.is_word(j + 1)
                    && is_cap(self.w(j + 1))
                {
                    j += 1;
                }
            }
            if j == body {
                i = body.max(i + 1);
                continue;
            }
            // Drop a leading common capitalised word ("However Rubio" never happens; "In Kyiv" does).
            while a < j
                && self.is_word(a)
                && is_cap(self.w(a))
                && self.tf(a, List::Common)
                && !self.tf(a, List::Determiners)
            {
                a += 1;
            }
            // "an August speech", "the Breaking News banner": capitalised common words alone
            // (months, days, page furniture) name nobody.
            let only_common = (body..j).all(|t| self.tf(t, List::Common));
            // "… or Risk Losing His Seat": a capitalised determiner inside the run marks a
            // title-case headline, not a name (but "Jane A. Public" has an initial).
            let headline = (body + 1..j)
                .any(|t| self.w(t).len() > 1 && is_cap(self.w(t)) && self.tf(t, List::Determiners));
            if a < j && !only_common && !headline {
                if let Some(np) = self.analyse(a, j) {
                    out.push(np);
                }
            }
            i = j;
        }
        out
    }

    /// "In Smith's view, …": the name in tokens a..b ends in a possessive owning a view
    /// noun that opens the clause, so its owner is the one speaking.
    pub(super) fn possessive_view(&self, a: usize, b: usize) -> bool {
        let last = self.w(b - 1);
        self.tf(b, List::ViewNouns)
            && self.is_punct(b + 1, ",")
            && ends_possessive(last)
            && a > 0
            && self.is_word(a - 1)
            && with_lower(self.w(a - 1), |w| w == "in")
    }

    pub(super) fn np(&self, a: usize, b: usize, kind: NpKind) -> Np {
        Np {
            a,
            b,
            kind,
            span: (self.toks[a].s, self.toks[b - 1].e),
            canonical: None,
            gender: Gender::Unknown,
            ekind: Kind::Person,
            weak: false,
            in_gazetteer: false,
        }
    }

    /// Classifies tokens a..b as a name (trailing capitalised run after titles), an organisation
    /// (gazetteer), or a role phrase (ending in a role head).
    pub(super) fn analyse(&self, a: usize, b: usize) -> Option<Np> {
        let body = if self.tf(a, List::Determiners) {
            a + 1
        } else {
            a
        };
        if body >= b {
            return None;
        }
        // Whole phrase known to the gazetteer (organisations, "Russia's foreign ministry").
        let whole = &self.text[self.toks[body].s..self.toks[b - 1].e];
        // An organisation in the possessive owns what follows ("the State Department's
        // readout says"): the organisation is the mention.
        let org_possessive = || {
            let bare = strip_possessive(whole);
            (bare.len() < whole.len())
                .then(|| self.gaz.lookup(bare))
                .flatten()
                .filter(|e| e.kind == Kind::Org)
        };
        if let Some(e) = self.gaz.lookup(whole).or_else(org_possessive) {
            let mut np = self.np(body, b, NpKind::Name);
            np.a = a;
            np.canonical = Some(if e.kind == Kind::Place {
                whole.to_string()
            } else {
                e.name.clone()
            });
            np.gender = e.gender;
            np.ekind = e.kind;
            np.in_gazetteer = true;
            return Some(np);
        }
        if self.is_dateline(a, b) {
            return None;
        }
        // Trailing name run: capitalised words (and particles) after the last title word.
        let owner_speaks = self.possessive_view(a, b);
        let mut k = b;
        while k > body {
            let x = self.w(k - 1);
            let t = self.toks[k - 1];
            if t.kind != TK::Word {
                // "Jane A. Public": a middle initial's dot stays inside the name.
                if k - 1 > body && k < b && self.is_punct(k - 1, ".") && self.is_initial(k - 2) {
                    k -= 1;
                    continue;
                }
                break;
            }
            let bare = strip_possessive(x);
            // "Hungary's Viktor Orbán": a possessive before a full (or known) name is a
            // modifier; "People's Daily" stays one name.
            if bare.len() != x.len()
                && k < b
                && (b - k >= 2 || self.gaz.lookup(self.w(k)).is_some())
            {
                break;
            }
            // "In Putin's view": the owner is the name even where "Putin's" is a title word.
            if (owner_speaks && k == b)
                || (is_cap(x)
                    && !self.tf(k - 1, List::TitleWords)
                    && (bare.len() == x.len() || !self.lw(bare, List::TitleWords)))
                || (self.tf(k - 1, List::Particles) && k < b)
            {
                k -= 1;
            } else {
                break;
            }
        }
        while k < b && self.tf(k, List::Particles) && !is_cap(self.w(k)) && self.w(k) != "von" {
            k += 1;
        }
        let last = self.w(b - 1);
        if k < b && (owner_speaks || !ends_possessive(last)) {
            // "On social media platform X, he added": one letter is not a name.
            if k + 1 == b && self.w(k).chars().count() == 1 {
                return None;
            }
            // "the Putin-Witkoff meeting", "US-Ukrainian talks": a compound of known names or
            // nationalities modifies a noun; it names nobody.
            if k + 1 == b && self.w(k).contains('-') && {
                let w = strip_possessive(self.w(k));
                w.split('-').all(|part| {
                    !part.is_empty()
                        && (self.gaz.lookup(part).is_some() || self.lw(part, List::TitleWords))
                })
            } {
                return None;
            }
            let weak = k + 1 == b && k == self.sent_start(k) && body == k;
            // "Talks resumed …": a capitalised sentence opener the article also writes in
            // lower case is a common word, not a name (unless the gazetteer knows it).
            if weak && self.gaz.lookup(self.w(k)).is_none() && self.written_lowercase(k) {
                return None;
            }
            let mut np = self.np(a, b, NpKind::Name);
            np.span = (self.toks[k].s, self.toks[b - 1].e);
            if owner_speaks {
                np.span.1 -= last.len() - strip_possessive(last).len();
            }
            np.weak = weak;
            return Some(np);
        }
        let head = strip_possessive(last);
        if self.lw(head, List::RoleHeads) && !ends_possessive(last) {
            let mut np = self.np(a, b, NpKind::Role);
            np.span = (self.toks[a].s, self.toks[b - 1].e);
            return Some(np);
        }
        None
    }

    /// Token `i` is a one-letter capital word: an initial when a dot follows ("A.").
    fn is_initial(&self, i: usize) -> bool {
        let w = self.w(i);
        self.is_word(i) && w.chars().count() == 1 && is_cap(w)
    }

    /// Token `k`'s word occurs elsewhere in the text in lower case.
    fn written_lowercase(&self, k: usize) -> bool {
        let w = self.w(k);
        // The same lower-casing and hash as the frame's `lower_keys` (`Lexicon::bits_and_key`).
        let Some(key) = with_lower_bytes(w, |l| {
            (l != w.as_bytes()).then(|| xxhash_rust::xxh3::xxh3_64(l))
        }) else {
            return false;
        };
        // A news article asks a few times: a scan costs less than building a set. A huge
        // text asks in proportion to its length, so it gets a sorted set (stays linear).
        if self.lower_keys.len() <= LOWER_SCAN_MAX {
            return self.lower_keys.contains(&key);
        }
        self.lowercase_words
            .get_or_init(|| {
                let mut set = self.lower_keys.clone();
                set.sort_unstable();
                set.dedup();
                set
            })
            .binary_search(&key)
            .is_ok()
    }

    /// "THE HAGUE, June 3 —", "KYIV (Reuters) -": an all-capitals place name opening a
    /// paragraph before a comma, dash or parenthesis is a dateline, not a speaker.
    fn is_dateline(&self, a: usize, b: usize) -> bool {
        let opens = a == 0 || self.toks[a - 1].kind == TK::Newline;
        let closes = b < self.toks.len()
            && self.toks[b].kind == TK::Punct
            && matches!(self.p(b), "," | "—" | "–" | "-" | "(");
        opens
            && closes
            && (a..b).all(|i| {
                let w = self.w(i);
                !w.chars().any(char::is_lowercase)
            })
            && (a..b).any(|i| self.w(i).chars().filter(|c| c.is_uppercase()).count() >= 2)
    }

    /// Resolves names (gazetteer, then surname → earlier full name), roles and gender, in order.
    pub(super) fn resolve(&self, nps: &mut [Np]) {
        // Article-local memory: surname → canonical, role phrase → canonical.
        let mut surnames: HashMap<String, (String, Gender, Kind)> = HashMap::new();
        let mut roles: HashMap<String, String> = HashMap::new();
        // People named so far, for "the envoy" when the gazetteer knows exactly one of them so.
        let mut seen_people: Vec<String> = Vec::new();
        #[allow(clippy::needless_range_loop)] // entries are re-borrowed mutably below
        for i in 0..nps.len() {
            let np = &nps[i];
            match np.kind {
                NpKind::Pronoun => {
                    let g = with_lower(self.w(np.a), |w| match w {
                        "he" => Gender::Male,
                        "she" => Gender::Female,
                        _ => Gender::Unknown,
                    });
                    nps[i].gender = g;
                }
                NpKind::Name => {
                    if np.canonical.is_some() {
                        if np.ekind == Kind::Person {
                            let canon = np.canonical.clone().unwrap_or_default();
                            let key = normalize(last_word(&canon));
                            surnames.insert(key, (canon.clone(), np.gender, np.ekind));
                            self.learn_appositive(nps, i, &canon, &mut roles);
                            seen(&mut seen_people, &canon);
                        }
                        continue;
                    }
                    let name = strip_possessive(&self.text[np.span.0..np.span.1]).trim();
                    let words: Vec<&str> = name.split_whitespace().collect();
                    // "Marco A. Rubio" is the gazetteer's "Marco Rubio".
                    let known = self.gaz.lookup(name).or_else(|| {
                        without_initials(&words).and_then(|bare| self.gaz.lookup(&bare))
                    });
                    let (canon, mut gender, kind) = if let Some(e) = known {
                        let c = if e.kind == Kind::Place {
                            name.to_string()
                        } else {
                            e.name.clone()
                        };
                        (c, e.gender, e.kind)
                    } else if words.len() == 1 {
                        match surnames.get(&normalize(name)) {
                            Some((c, g, k)) => (c.clone(), *g, *k),
                            None => (name.to_string(), Gender::Unknown, Kind::Person),
                        }
                    } else {
                        (name.to_string(), Gender::Unknown, Kind::Person)
                    };
                    if gender == Gender::Unknown && kind == Kind::Person {
                        let first = words.first().copied().unwrap_or("");
                        let title = if np.a < self.toks.len() {
                            self.w(np.a)
                        } else {
                            ""
                        };
                        gender = if self.lw(first, List::MaleFirst)
                            || self.lw(title, List::CourtesyMale)
                        {
                            Gender::Male
                        } else if self.lw(first, List::FemaleFirst)
                            || self.lw(title, List::CourtesyFemale)
                        {
                            Gender::Female
                        } else {
                            Gender::Unknown
                        };
                    }
                    if kind == Kind::Person && words.len() > 1 {
                        surnames.insert(normalize(last_word(name)), (canon.clone(), gender, kind));
                    }
                    // Title before the name becomes an article-local role: "Kremlin spokesman".
                    let np = &nps[i];
                    if np.span.0 > self.toks[np.a].s {
                        let role = &self.text[self.toks[np.a].s..np.span.0];
                        let key = normalize_role(role.trim());
                        if !key.is_empty() {
                            learn_role(&mut roles, key, &canon);
                        }
                    }
                    if kind == Kind::Person {
                        self.learn_appositive(nps, i, &canon, &mut roles);
                        seen(&mut seen_people, &canon);
                    }
                    let np = &mut nps[i];
                    np.canonical = Some(canon);
                    np.gender = gender;
                    np.ekind = kind;
                    np.in_gazetteer = known.is_some();
                    if np.weak && (known.is_some() || surnames.contains_key(&normalize(name))) {
                        np.weak = false;
                    }
                }
                NpKind::Role => {
                    let phrase = &self.text[np.span.0..np.span.1];
                    let key = normalize_role(phrase);
                    let head = key.split(' ').next_back().unwrap_or("").to_string();
                    let bare = key.split(' ').count() == 1 || key.starts_with("same ");
                    // Words before the head either come from the holder's own title in this
                    // article or only describe the role (lower-case title words): "the US
                    // presidential adviser" is the "US National Security Advisor Mike Waltz"
                    // named above, "the French president" is not "US President Donald Trump".
                    let fits = |holder: &str| {
                        bare || key.split(' ').rev().skip(1).all(|w| {
                            roles
                                .iter()
                                .any(|(k, c)| c == holder && k.split(' ').any(|t| t == w))
                                || (self.lw(w, List::TitleWords)
                                    && !phrase
                                        .split_whitespace()
                                        .any(|t| is_cap(t) && normalize(strip_possessive(t)) == w))
                        })
                    };
                    let found = roles
                        .get(&key)
                        .cloned()
                        .or_else(|| local_title_with_words(&roles, &key))
                        .map(|c| (c, None))
                        .or_else(|| {
                            self.gaz
                                .by_role(phrase)
                                .map(|e| (e.name.clone(), Some((e.gender, e.kind))))
                        })
                        .or_else(|| {
                            // "the spokesman" after "Kremlin spokesman Dmitry Peskov"; "the US
                            // presidential adviser" after "National Security Advisor Mike Waltz":
                            // words before the head that only describe the title don't matter.
                            roles
                                .get(&head)
                                .filter(|c| fits(c))
                                .cloned()
                                .map(|c| (c, None))
                        })
                        .or_else(|| {
                            bare.then(|| self.seen_role_holder(&head, &seen_people))
                                .flatten()
                                .map(|c| (c, None))
                        });
                    if let Some((c, gk)) = found {
                        let (g, k) = gk.unwrap_or_else(|| {
                            self.gaz
                                .entry(&c)
                                .map_or((Gender::Unknown, Kind::Person), |e| (e.gender, e.kind))
                        });
                        let np = &mut nps[i];
                        np.canonical = Some(c);
                        np.gender = g;
                        np.ekind = k;
                        np.in_gazetteer = gk.is_some();
                    }
                }
            }
        }
    }

    /// Learns the titles a person `canon` (NP `i`) gets in apposition: "Dmitry Peskov, the
    /// spokesperson for …" and "Trump's Ukraine envoy, Keith Kellogg" (the role NP right before
    /// the comma then names the same person).
    fn learn_appositive(
        &self,
        nps: &mut [Np],
        i: usize,
        canon: &str,
        roles: &mut HashMap<String, String>,
    ) {
        let (a, b) = (nps[i].a, nps[i].b);
        if let Some(key) = self.appositive_role_after(b) {
            learn_role(roles, key, canon);
        }
        // The name closes the apposition with a comma: in "According to the official, Kellogg
        // has …" the comma ends a clause instead. The role may end in a short prepositional
        // phrase before the comma ("Russia's envoy to the UN, Vassily Nebenzia,"), whose own
        // chunks ("the UN") stand between the two.
        if a == 0 || !self.is_punct(a - 1, ",") || !self.is_punct(b, ",") {
            return;
        }
        let role = (i.saturating_sub(3)..i).rev().find(|&k| {
            let np = &nps[k];
            let gap = np.b..a - 1;
            np.kind == NpKind::Role
                && np.b < a
                && (gap.is_empty()
                    || (gap.len() <= 5
                        && self.is_word(gap.start)
                        && self.tf(gap.start, List::Prepositions)
                        && gap.clone().all(|t| self.is_word(t))))
        });
        if let Some(k) = role {
            let before = &mut nps[k];
            let key = normalize_role(&self.text[before.span.0..before.span.1]);
            if !key.is_empty() {
                learn_role(roles, key, canon);
            }
            before.canonical = Some(canon.to_string());
        }
    }

    /// The role phrase in apposition after a name ending before token `b` (", the Kremlin
    /// spokesman," → `kremlin spokesman`): an optional determiner, then title words and
    /// capitalised words up to the last person-role head. `None` when a name follows the head
    /// (", President Trump" is another person) or the head names an organisation.
    fn appositive_role_after(&self, b: usize) -> Option<String> {
        if !self.is_punct(b, ",") {
            return None;
        }
        let mut j = b + 1;
        if self.is_word(j) && self.tf(j, List::Determiners) {
            j += 1;
        }
        let start = j;
        let mut head = None;
        while j < start + 6 && self.is_word(j) {
            let bare = strip_possessive(self.w(j));
            if self.lw(bare, List::RoleHeads) && !self.lw(bare, List::OrgHeads) {
                head = Some(j);
            } else if !(self.tf(j, List::TitleWords)
                || self.tf(j, List::RoleWords)
                || is_cap(self.w(j)))
            {
                break;
            }
            j += 1;
        }
        let head = head?;
        if (head + 1..j).any(|t| is_cap(self.w(t)) && !self.tf(t, List::TitleWords)) {
            return None;
        }
        Some(normalize_role(
            &self.text[self.toks[start].s..self.toks[head].e],
        ))
    }

    /// The one person of `seen` whose gazetteer roles end in `head` ("the envoy" after
    /// "Witkoff", whom the gazetteer knows as "U.S. special envoy").
    fn seen_role_holder(&self, head: &str, seen: &[String]) -> Option<String> {
        let mut found: Option<&String> = None;
        for name in seen {
            let Some(e) = self.gaz.entry(name) else {
                continue;
            };
            if e.roles
                .iter()
                .any(|r| normalize_role(r).rsplit(' ').next() == Some(head))
            {
                match found {
                    Some(f) if f != name => return None,
                    _ => found = Some(name),
                }
            }
        }
        found.cloned()
    }

    /// Subject events: a name or role right before a cue verb, right after an inverted cue, or
    /// first in its sentence.
    pub(super) fn events(&self, nps: &[Np]) -> Vec<Event> {
        let mut ev = Vec::new();
        let mut seen_sent = u32::MAX;
        for (i, np) in nps.iter().enumerate() {
            if np.kind == NpKind::Pronoun || np.canonical.is_none() || np.ekind == Kind::Place {
                continue;
            }
            let s = self.sent_of[np.a];
            // "The chief of staff of …, Jane Roe, signaled": the appositive name before
            // `, cue` is the subject too (not before `, stating`: that is the clause subject's).
            let comma_cue = self.skip_adverbs_right(np.b + 1);
            let before_cue = self.is_cue(self.skip_adverbs_right(np.b))
                || (self.is_punct(np.b, ",")
                    && self.is_cue(comma_cue)
                    && !self.w(comma_cue).ends_with("ing"));
            let after_cue = np.a > 0 && self.is_cue(np.a - 1) && !self.addressee_cue(np.a - 1);
            let first = s != seen_sent;
            if first {
                seen_sent = s;
            }
            // "in Florida", "from Kyiv": a phrase after a preposition is not a subject.
            let after_prep =
                np.a > 0 && self.is_word(np.a - 1) && self.tf(np.a - 1, List::Prepositions);
            if before_cue || after_cue || (first && !np.weak && !after_prep) {
                ev.push(Event { tok: np.a, np: i });
            }
        }
        ev
    }

    pub(super) fn skip_adverbs_right(&self, mut i: usize) -> usize {
        while i < self.toks.len() && self.is_word(i) && self.tf(i, List::Adverbs) {
            i += 1;
        }
        i
    }

    /// Resolves a pronoun np at token `at` to the nearest earlier compatible event.
    pub(super) fn pronoun(&self, np: &Np, nps: &[Np], events: &[Event]) -> Option<usize> {
        let want = np.gender;
        let it = with_lower(self.w(np.a), |w| w == "it" || w == "they" || w == "we");
        // Events are in text order: start from the last one before the pronoun.
        let before = events.partition_point(|e| e.tok < np.a);
        for e in events[..before].iter().rev() {
            let c = &nps[e.np];
            if np.a - e.tok > 400 {
                break;
            }
            let ok = if it {
                c.ekind == Kind::Org && with_lower(self.w(np.a), |w| w == "it")
            } else {
                c.ekind == Kind::Person
                    && (c.gender == Gender::Unknown || want == Gender::Unknown || c.gender == want)
            };
            if ok {
                return Some(e.np);
            }
            if !it && c.ekind == Kind::Person && c.kind != NpKind::Role {
                // The nearest person is incompatible: keep looking, but only a little further.
                continue;
            }
        }
        None
    }

    /// The NP ending just before token `i` (skipping adverbs and an appositive `, …,`).
    pub(super) fn subject_before(
        &self,
        i: usize,
        np_at_end: &[u32],
        floor: usize,
    ) -> Option<usize> {
        let mut j = i;
        while j > floor && self.is_word(j - 1) && self.tf(j - 1, List::Adverbs) {
            j -= 1;
        }
        if j == floor {
            return None;
        }
        // Parenthetical after the name: "Harry M. Reid (D-Nev.) said".
        if self.toks[j - 1].kind == TK::Punct && self.p(j - 1) == ")" {
            let mut m = j - 1;
            while m > floor && m + 12 > j && !(self.toks[m].kind == TK::Punct && self.p(m) == "(") {
                m -= 1;
            }
            if m > floor && self.p(m) == "(" {
                j = m;
            }
        }
        let k = np_at_end[j - 1];
        if k != u32::MAX {
            return Some(k as usize);
        }
        // Appositive: "Yuri Ushakov, an adviser to Putin, said".
        if self.toks[j - 1].kind == TK::Punct
            && &self.text[self.toks[j - 1].s..self.toks[j - 1].e] == ","
        {
            let mut m = j - 1;
            let lim = (j - 1).saturating_sub(16).max(floor);
            while m > lim {
                m -= 1;
                let t = self.toks[m];
                if matches!(t.kind, TK::Quote(_) | TK::Newline) {
                    return None;
                }
                if t.kind == TK::Punct && &self.text[t.s..t.e] == "," {
                    if m > floor && np_at_end[m - 1] != u32::MAX {
                        return Some(np_at_end[m - 1] as usize);
                    }
                    return None;
                }
            }
        }
        None
    }

    /// The NP starting at token `i` (after an inverted cue).
    pub(super) fn np_from(&self, i: usize, np_at_start: &[u32]) -> Option<usize> {
        if i < np_at_start.len() && np_at_start[i] != u32::MAX {
            return Some(np_at_start[i] as usize);
        }
        None
    }

    pub(super) fn usable(&self, np: &Np) -> bool {
        np.kind == NpKind::Pronoun || np.canonical.is_some() || np.kind == NpKind::Role
    }

    /// The cue at `c` follows "and" (adverbs and commas skipped): "… and then said".
    pub(super) fn after_and(&self, c: usize, lo: usize) -> bool {
        let mut j = c;
        while j > lo
            && ((self.is_word(j - 1) && self.tf(j - 1, List::Adverbs))
                || (self.toks[j - 1].kind == TK::Punct && self.p(j - 1) == ","))
        {
            j -= 1;
        }
        j > lo && self.is_word(j - 1) && self.w(j - 1).eq_ignore_ascii_case("and")
    }

    /// Subject of the nearest finite cue before `c` in the sentence.
    pub(super) fn main_subject(&self, lo: usize, c: usize, np_at_end: &[u32]) -> Option<usize> {
        (lo..c)
            .rev()
            .filter(|&i| self.is_cue(i) && !self.w(i).ends_with("ing"))
            .find_map(|i| self.subject_before(i, np_at_end, lo))
    }

    /// "told POLITICO", "asked reporters": the phrase after these cues is the listener.
    pub(super) fn addressee_cue(&self, c: usize) -> bool {
        self.tf(c, List::AddresseeCues)
    }

    /// Words before cue `c` (down to `floor`) forming an unnamed speaker: "another source said".
    pub(super) fn generic_before(&self, c: usize, floor: usize) -> Option<(usize, usize)> {
        let mut b = c;
        while b > floor && self.is_word(b - 1) && self.tf(b - 1, List::Adverbs) {
            b -= 1;
        }
        let mut a = b;
        while a > floor
            && b - a < 8
            && self.is_word(a - 1)
            && !self.is_cue(a - 1)
            && !self.tf(a - 1, List::ClauseWords)
        {
            a -= 1;
        }
        (a < b).then_some((a, b))
    }

    /// Words after an inverted cue forming an unnamed speaker: "added another Democrat".
    pub(super) fn generic_after(&self, a: usize, se: usize) -> Option<(usize, usize)> {
        let mut b = a;
        while b < se
            && b - a < 8
            && self.is_word(b)
            && !self.is_cue(b)
            && !self.tf(b, List::ClauseWords)
        {
            b += 1;
        }
        (a < b).then_some((a, b))
    }

    pub(super) fn is_according(&self, c: usize) -> bool {
        self.is_word(c)
            && self.is_word(c + 1)
            && self.cues.after_name().iter().any(|p| {
                p.len() == 2
                    && with_lower(self.w(c), |w| w == p[0])
                    && with_lower(self.w(c + 1), |w| w == p[1])
            })
    }

    /// First usable NP of the sentence before token `limit` (the clause subject).
    pub(super) fn sentence_subject(
        &self,
        ss: usize,
        limit: usize,
        nps: &[Np],
        np_at_start: &[u32],
    ) -> Option<usize> {
        // The subject stands near the sentence start; bounded for pathological inputs.
        for i in ss..limit.min(ss + 150) {
            if let Some(k) = self.np_from(i, np_at_start) {
                let np = &nps[k];
                let after_prep = i > ss
                    && ((self.is_word(i - 1) && self.tf(i - 1, List::Prepositions))
                        || (self.toks[i - 1].kind == TK::Punct && self.p(i - 1) == "("));
                if np.ekind != Kind::Place
                    && self.usable(np)
                    && !(np.weak && np.kind == NpKind::Name)
                    && !after_prep
                {
                    return Some(k);
                }
            }
        }
        None
    }

    /// True when a different named subject is introduced between two quotes.
    pub(super) fn new_subject_between(
        &self,
        a: usize,
        b: usize,
        nps: &[Np],
        speaker: Option<&str>,
    ) -> bool {
        // `nps` is in text order: only the chunks between the two quotes are looked at.
        let from = nps.partition_point(|np| np.a <= a);
        let to = nps.partition_point(|np| np.a < b);
        nps[from..to.max(from)].iter().any(|np| {
            np.a > a
                && np.b <= b
                && np.kind != NpKind::Pronoun
                && np.ekind == Kind::Person
                && np.canonical.is_some()
                && np.canonical.as_deref() != speaker
                && {
                    let mut c = self.skip_adverbs_right(np.b);
                    // "Russia's envoy to the UN, Vassily Nebenzia, said …": the name in
                    // apposition is the subject of the cue after its closing comma (a chunk
                    // that is only a name: in "Briggs, a spokesman for Sanders, said" the
                    // chunk names Sanders but describes Briggs).
                    if np.kind == NpKind::Name
                        && np.span.0 == self.toks[np.a].s
                        && np.a > 0
                        && self.is_punct(np.a - 1, ",")
                        && self.is_punct(c, ",")
                    {
                        c = self.skip_adverbs_right(c + 1);
                    }
                    // "a super PAC called Future45": naming, not speaking.
                    self.is_cue(c) && !self.tf(c, List::NamingCues)
                }
        })
    }
}

/// The one person the article titled with every word of `key` ("the German Chancellor" after
/// "German Federal Chancellor Friedrich Merz"): the article's own title beats the gazetteer's
/// holder of the role, who may be a predecessor. `None` when no title or several people match.
fn local_title_with_words(roles: &HashMap<String, String>, key: &str) -> Option<String> {
    if !key.contains(' ') {
        return None;
    }
    let mut found: Option<&String> = None;
    for (title, who) in roles {
        if key.split(' ').all(|w| title.split(' ').any(|t| t == w)) {
            match found {
                Some(f) if f != who => return None,
                _ => found = Some(who),
            }
        }
    }
    found.cloned()
}

/// What a title abbreviation is called later in an article: "Rep. Mike Waltz" … "the
/// congressman".
const ABBREVIATED_TITLES: &[(&str, &[&str])] = &[
    (
        "rep",
        &["congressman", "congresswoman", "representative", "lawmaker"],
    ),
    ("sen", &["senator", "lawmaker"]),
    ("gov", &["governor"]),
];

/// Remembers that the article calls `canon` by role `key` (and by its head word alone).
fn learn_role(roles: &mut HashMap<String, String>, key: String, canon: &str) {
    if let Some(h) = key.split(' ').next_back() {
        if let Some((_, names)) = ABBREVIATED_TITLES.iter().find(|(a, _)| *a == h) {
            for n in names.iter() {
                roles.insert(n.to_string(), canon.to_string());
            }
        }
        roles.insert(h.to_string(), canon.to_string());
    }
    roles.insert(key, canon.to_string());
}

/// Appends `name` to the people seen so far, once.
fn seen(people: &mut Vec<String>, name: &str) {
    if !people.iter().any(|p| p == name) {
        people.push(name.to_string());
    }
}

pub(super) fn strip_possessive(w: &str) -> &str {
    w.strip_suffix("’s")
        .or_else(|| w.strip_suffix("'s"))
        .or_else(|| w.strip_suffix('’'))
        .unwrap_or(w)
}

/// `w` ends in a possessive `'s` (straight or curly apostrophe).
fn ends_possessive(w: &str) -> bool {
    w.ends_with("’s") || w.ends_with("'s")
}

fn last_word(s: &str) -> &str {
    s.split_whitespace().next_back().unwrap_or(s)
}

/// Up to this many lower-case words an article's set is scanned rather than sorted.
const LOWER_SCAN_MAX: usize = 4096;

/// A name's words without its middle initials ("Jane A. Public" → "Jane Public"); `None` when
/// it has none or nothing would be left but one word.
fn without_initials(words: &[&str]) -> Option<String> {
    let is_initial = |w: &&str| {
        let mut c = w.chars();
        c.next().is_some_and(char::is_uppercase) && c.as_str() == "."
    };
    let inner = words.len().checked_sub(1)?;
    let kept: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|&(i, w)| i == 0 || i == inner || !is_initial(w))
        .map(|(_, w)| *w)
        .collect();
    (kept.len() < words.len() && kept.len() >= 2).then(|| kept.join(" "))
}
