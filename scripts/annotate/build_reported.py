"""Build data/train/reported.jsonl: stance-bearing REPORTED (indirect) speech in the seeds.

Each entry was chosen and labelled by reading the articles. `text` is the reported
statement; `context` is the sentence itself (guide: for reported speech the introducing
sentence is the sentence), except where one sentence reports two speakers (then `text` is
that speaker's clause) or where the sentence refers back ("this idea", "voiced strong
reservations") and the topic is only named in the preceding sentence (then `context` is the
two sentences). The script checks that `context` occurs verbatim in the article and `text`
in `context`. Sentences whose stance is carried by a direct quote are in the gold instead.

Usage: python3 scripts/annotate/build_reported.py
"""
import json, os, pathlib, sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "train" / "reported.jsonl"
A0, A1, A2, A3, A4 = ("000_43da77a679854bc7", "001_4d6ec3b30284fe3f", "002_dfa974dc6e2f71e1",
                      "003_b8a2ebccda844a67", "004_fafa6a3430f658bd")
F, AG, N = "favor", "against", "neutral"

# (article, text, context-or-None(=text), speaker, topics, sentiment)
REP = [
    (A0, "After the most extensive talks between the two countries in three years, U.S. Secretary of State, Marco Rubio, said the two sides agreed to create a high-level team to support Ukraine peace talks.", None,
     "Marco Rubio", {"peace_talks": F}, "neutral"),
    (A0, "Rubio said that actions over the last several years have reduced the ability of both countries’ diplomatic missions to operate.", None,
     "Marco Rubio", {"diplomatic_ties": F}, "negative"),
    (A0, "Ushakov added that a potential Putin-Trump summit was discussed, though he noted such a gathering was unlikely to happen next week.", None,
     "Yuri Ushakov", {"summit": N}, "neutral"),
    (A0, "Russia has rejected the idea of Western boots in Ukraine, with Lavrov saying in Riyadh that the deployment of NATO military alliance member troops in Ukraine, even if they were operating there under a different flag, was unacceptable.", None,
     "Sergey Lavrov", {"peacekeepers": AG, "nato": AG}, "negative"),
    (A0, "However, in a significant compromise, the Kremlin made clear it would not oppose Ukraine’s membership in the European Union.", None,
     "the Kremlin", {"eu_membership": F}, "neutral"),
    (A0, "Lavrov also rejected a U.S. proposal that Russia and Ukraine halt strikes on each other’s energy infrastructure.", None,
     "Sergey Lavrov", {"energy_truce": AG}, "negative"),
    (A0, "He claimed that Russia had never endangered Ukraine’s civilian energy supply system, despite overwhelming evidence to the contrary: Over the weekend, tens of thousands of residents in the southern Ukrainian city of Mykolaiv woke up without heating after an apparent Russian drone attack on a power plant.", None,
     "Sergey Lavrov", {"energy_truce": N}, "neutral"),
    (A0, "Zelenskyy said more than 100,000 people had been affected by the attack on Mykolaiv, where temperatures dropped to freezing.", None,
     "Volodymyr Zelensky", {"energy_truce": N}, "negative"),
    (A0, "Worthy News reported earlier that Zelenskyy called the attack proof that Russia is not interested in peace.", None,
     "Volodymyr Zelensky", {"peace_talks": F, "energy_truce": F}, "negative"),
    (A0, "However, Trump has made clear he wants those talks and a negotiated settlement on Ukraine’s future by Easter.", None,
     "Donald Trump", {"peace_talks": F}, "neutral"),
    (A1, "The United States and Russia have agreed to restore embassy staffing and appoint high-level teams to negotiate an end to the war in Ukraine, according to U.S. Secretary of State Marco Rubio.", None,
     "Marco Rubio", {"diplomatic_ties": F, "peace_talks": F}, "neutral"),
    (A1, "Beyond the peace talks, both sides acknowledged the need to expand their diplomatic missions.", None,
     None, {"diplomatic_ties": F}, "neutral"),
    (A1, "While the discussions signal a possible breakthrough, the absence of Ukrainian representatives has drawn criticism from President Volodymyr Zelenskyy, who expressed frustration over his country being left out.", None,
     "Volodymyr Zelensky", {"inclusion": F}, "negative"),
    (A1, "He has repeatedly stated that Ukraine will not accept any deal made without its direct involvement.", None,
     "Volodymyr Zelensky", {"inclusion": F}, "negative"),
    (A1, "Multiple diplomatic sources suggest that both the U.S. and Russia see a low chance of Zelenskyy winning re-election, and Russian officials believe a new Ukrainian president could be more willing to negotiate.", None,
     None, {"elections": N}, "neutral"),
    (A1, "Zelenskyy has dismissed this idea outright",
     "A key point of discussion was the prospect of holding new elections in Ukraine as part of a broader peace framework.\n\nMultiple diplomatic sources suggest that both the U.S. and Russia see a low chance of Zelenskyy winning re-election, and Russian officials believe a new Ukrainian president could be more willing to negotiate.\n\nWhile Zelenskyy has dismissed this idea outright, some in Washington see it as a potential path toward ending the war.",
     "Volodymyr Zelensky", {"elections": AG}, "negative"),
    (A1, "British Prime Minister Keir Starmer stated that the U.K. is prepared to deploy troops to Ukraine as part of a long-term security arrangement.",
     "French President Emmanuel Macron convened an emergency meeting of European leaders in Paris, while British Prime Minister Keir Starmer stated that the U.K. is prepared to deploy troops to Ukraine as part of a long-term security arrangement.",
     "Keir Starmer", {"peacekeepers": F, "security_guarantees": F}, "neutral"),
    (A1, "However, European leaders remain divided on committing forces, with German Chancellor Olaf Scholz and Polish Prime Minister Donald Tusk both ruling out sending their own troops.", None,
     "Olaf Scholz", {"peacekeepers": AG}, "negative"),
    (A1, "Despite skepticism from Kyiv, Trump has maintained that he is the best leader to negotiate a settlement that could have prevented the conflict from escalating in the first place.", None,
     "Donald Trump", {"peace_talks": F}, "positive"),
    (A1, "Rubio noted that both nations are interested in improving ties once the war is settled.", None,
     "Marco Rubio", {"diplomatic_ties": F}, "positive"),
    (A1, "Trump has also floated the idea of trilateral negotiations between the U.S., Russia, and China to reduce global military spending, including nuclear weapons.", None,
     "Donald Trump", {}, "neutral"),
    (A2, "Waltz highlighted that future negotiations must address critical issues such as territorial disputes and security assurances.", None,
     "Mike Waltz", {"territory": N, "security_guarantees": N, "peace_talks": N}, "neutral"),
    (A2, "Both Rubio and Waltz refuted claims that European allies have been sidelined in the peace process.", None,
     "Marco Rubio", {"inclusion": F}, "neutral"),
    (A2, "Following the talks, Dmitriev remarked that the Russian and U.S. teams treated each other with respect and as equals.", None,
     "Kirill Dmitriev", {"peace_talks": F}, "positive"),
    (A2, "Dmitriev also noted that the discussions covered potential economic cooperation and energy prices.", None,
     "Kirill Dmitriev", {"economic_cooperation": N}, "neutral"),
    (A2, "However, he noted that it remains difficult to say whether Russia and the U.S. are moving closer in their positions.", None,
     "Yuri Ushakov", {"peace_talks": N}, "neutral"),
    (A2, "Establishing a consultation mechanism to address issues in U.S.-Russia bilateral relations, with the goal of normalizing diplomatic operations between our countries.",
     "A statement issued by the U.S. Department of State said that the two sides agreed on:\n\n  • Establishing a consultation mechanism to address issues in U.S.-Russia bilateral relations, with the goal of normalizing diplomatic operations between our countries.",
     "U.S. State Department", {"diplomatic_ties": F}, "neutral"),
    (A2, "Appointing high-level teams from both sides to begin working toward a swift and sustainable resolution to the conflict in Ukraine, ensuring the solution is acceptable to all parties.",
     "A statement issued by the U.S. Department of State said that the two sides agreed on:\n\n  • Establishing a consultation mechanism to address issues in U.S.-Russia bilateral relations, with the goal of normalizing diplomatic operations between our countries.\n  • Appointing high-level teams from both sides to begin working toward a swift and sustainable resolution to the conflict in Ukraine, ensuring the solution is acceptable to all parties.",
     "U.S. State Department", {"peace_talks": F}, "positive"),
    (A2, "Laying the foundation for future cooperation on shared geopolitical interests and exploring significant economic and investment opportunities that will arise from a successful resolution of the Ukraine conflict.", None,
     "U.S. State Department", {"economic_cooperation": F}, "positive"),
    (A2, "Both parties have pledged to remain actively engaged to ensure progress continues in a timely and constructive manner.", None,
     "U.S. State Department", {"peace_talks": F}, "positive"),
    (A2, "Russia deems any possible deployment of NATO or European troops in Ukraine as unacceptable, Russian Foreign Minister Lavrov stated.", None,
     "Sergey Lavrov", {"peacekeepers": AG, "nato": AG}, "negative"),
    (A2, "Lavrov also emphasized that Russia had no plans to make territorial concessions to Ukraine", "Lavrov also emphasized that Russia had no plans to make territorial concessions to Ukraine, a point likely to be contentious given Kyiv’s insistence on the complete withdrawal of Russian forces from occupied regions, including Crimea, Donetsk, and Luhansk.",
     "Sergey Lavrov", {"territory": AG}, "negative"),
    (A2, "Kyiv’s insistence on the complete withdrawal of Russian forces from occupied regions, including Crimea, Donetsk, and Luhansk", "Lavrov also emphasized that Russia had no plans to make territorial concessions to Ukraine, a point likely to be contentious given Kyiv’s insistence on the complete withdrawal of Russian forces from occupied regions, including Crimea, Donetsk, and Luhansk.",
     "Ukrainian government", {"territory": F}, "neutral"),
    (A2, "However, Ushakov indicated that such a meeting was unlikely to occur in the immediate future.", None,
     "Yuri Ushakov", {"summit": N}, "neutral"),
    (A2, "He further expressed that Ukraine was not informed about the Riyadh discussions.", None,
     "Volodymyr Zelensky", {"inclusion": F}, "negative"),
    (A2, "From the Kremlin’s perspective, spokesperson Dmitry Peskov indicated that the meeting was intended to prepare for potential negotiations concerning the Ukrainian situation and to organize a summit between the U.S. and Russian presidents.", None,
     "Dmitry Peskov", {"peace_talks": F, "summit": F}, "neutral"),
    (A2, "The assembly reaffirmed its commitment to supporting Ukraine but did not provide specific security guarantees, such as deploying peacekeeping forces to Ukrainian territory.", None,
     None, {"security_guarantees": N, "peacekeepers": N}, "neutral"),
    (A2, "U.S. President Trump, addressing reporters after the Riyadh talks, dismissed concerns about Kyiv’s exclusion from the negotiations.", None,
     "Donald Trump", {"inclusion": AG}, "negative"),
    (A2, "When questioned about supporting Russia’s proposal for elections in Ukraine as part of a peace deal, Trump, without providing evidence, claimed that President Zelenskyy had a low approval rating and noted the suspension of elections under martial law.", None,
     "Donald Trump", {"elections": F}, "negative"),
    (A2, "He also emphasized Ukraine’s demand for security guarantees from international partners, including the U.S. and the EU, before agreeing to any peace settlement.", None,
     "Volodymyr Zelensky", {"security_guarantees": F}, "neutral"),
    (A2, "After meeting with Zelenskyy in Ankara on Tuesday, Erdogan expressed support for diplomatic efforts to swiftly end the conflict and proposed Turkey as a potential host for future negotiations between Russia, Ukraine, and the U.S.", None,
     "Recep Tayyip Erdoğan", {"peace_talks": F, "inclusion": F}, "positive"),
    (A2, "Erdogan highlighted Turkey’s active diplomacy over the past three years and referenced previous negotiations held in Istanbul as a foundation for future discussions.", None,
     "Recep Tayyip Erdoğan", {"peace_talks": F}, "positive"),
    (A3, "Waltz emphasized that discussions would inevitably involve territorial considerations and security guarantees, describing these as fundamental aspects of the negotiation process.", None,
     "Mike Waltz", {"territory": N, "security_guarantees": N, "peace_talks": N}, "neutral"),
    (A3, "On Tuesday, Russia appeared to take a firmer stance, with its foreign ministry excluding European participation in the negotiations and demanding that NATO rescind its 2008 invitation for Ukraine to join the alliance.", None,
     "Russian Foreign Ministry", {"inclusion": AG, "nato": AG}, "negative"),
    (A3, "Russian Foreign Minister Sergei Lavrov announced that both countries had agreed to expedite the appointment of ambassadors and work to remove obstacles imposed during the Biden administration.", None,
     "Sergey Lavrov", {"diplomatic_ties": F}, "neutral"),
    (A3, "the UK expressed willingness to send troops",
     "At a recent summit convened to discuss the U.S.-Russia negotiations, disagreements arose over the prospect of deploying European peacekeeping forces to Ukraine. While the UK expressed willingness to send troops, Germany, Italy, Poland, and Spain voiced strong reservations.",
     "British government", {"peacekeepers": F}, "neutral"),
    (A3, "Germany, Italy, Poland, and Spain voiced strong reservations",
     "At a recent summit convened to discuss the U.S.-Russia negotiations, disagreements arose over the prospect of deploying European peacekeeping forces to Ukraine. While the UK expressed willingness to send troops, Germany, Italy, Poland, and Spain voiced strong reservations.",
     None, {"peacekeepers": AG}, "negative"),
    (A3, "Russia’s foreign ministry has explicitly opposed any European peacekeeping mission.", None,
     "Russian Foreign Ministry", {"peacekeepers": AG}, "negative"),
    (A3, "Waltz emphasized that the U.S. had engaged in diplomatic consultations with both Zelenskyy and French President Emmanuel Macron and that Trump was scheduled to meet UK Prime Minister Keir Starmer next week.", None,
     "Mike Waltz", {"inclusion": F}, "neutral"),
    (A3, "Kyiv has firmly stated that it will reject any agreement that is imposed without its involvement, while European nations are scrambling to secure their place in the negotiations.", None,
     "Ukrainian government", {"inclusion": F}, "negative"),
    (A3, "Ushakov also revealed that discussions are underway to arrange a meeting between Trump and Putin.", None,
     "Yuri Ushakov", {"summit": F}, "neutral"),
    (A4, "Lavrov underscored the urgency of restoring diplomatic representation, calling it the simplest yet most pressing task.", None,
     "Sergey Lavrov", {"diplomatic_ties": F}, "neutral"),
    (A4, "Meanwhile, Secretary of State Marco Rubio emphasized the importance of reestablishing embassies in Washington and Moscow.", None,
     "Marco Rubio", {"diplomatic_ties": F}, "neutral"),
    (A4, "He noted that fully functioning diplomatic missions are essential for maintaining communication channels needed for ongoing negotiations.", None,
     "Marco Rubio", {"diplomatic_ties": F}, "neutral"),
    (A4, "In an interview with The Associated Press, Rubio outlined key goals the two sides had agreed to pursue, including restoring embassy staffing, creating a high-level team to support Ukraine peace talks, and exploring closer economic cooperation.", None,
     "Marco Rubio", {"diplomatic_ties": F, "peace_talks": F, "economic_cooperation": F}, "neutral"),
    (A4, "European allies and Ukrainian officials have voiced concerns about being sidelined by direct negotiations between Washington and Moscow.", None,
     None, {"inclusion": F}, "negative"),
    (A4, "Ukrainian President Volodymyr Zelensky firmly stated that Ukraine does not recognize any agreements between Russia and the United States reached without Kyiv’s participation.", None,
     "Volodymyr Zelensky", {"inclusion": F}, "negative"),
    (A4, "European nations also expressed unease over their exclusion from the talks.", None,
     None, {"inclusion": F}, "negative"),
    (A4, "He reiterated the goal of ending the conflict through a resolution acceptable to all parties involved.", None,
     "Marco Rubio", {"peace_talks": F, "inclusion": F}, "positive"),
    (A4, "US Representative Michael Waltz suggested it could take place in the coming weeks",
     "Ushakov hinted that a meeting is “unlikely” next week, while US Representative Michael Waltz suggested it could take place in the coming weeks.",
     "Mike Waltz", {"summit": F}, "positive"),
]


def main():
    arts = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "data/articles").glob("*.txt")}
    errs, out, n = [], [], {}
    for art, text, ctx, spk, topics, sent in REP:
        ctx = ctx or text
        if ctx not in arts[art]:
            errs.append(f"context not in {art}: {ctx[:60]!r}")
        if text not in ctx:
            errs.append(f"text not in context: {text[:60]!r}")
        n[art] = n.get(art, 0) + 1
        out.append({"id": f"{art}-r{n[art]:02d}", "article": art, "text": text, "context": ctx, "speaker": spk,
                    "topics": dict(sorted(topics.items())), "sentiment": sent, "source": "seeds-reported"})
    if errs:
        print("\n".join(errs), file=sys.stderr)
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    os.replace(tmp, OUT)
    print(f"wrote {len(out)} records to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
