"""What the guide says when it stops for pain, graded by the seed's warning signs.

The stop, professional and emergency lines restate the seed text (lower-back-and-hip-routines.txt, section
"Recognizing Signs to Stop Self-Manipulation") in our own words. The unwell lines cover distress the seed
does not grade, with general advice only.
"""

from __future__ import annotations

from voiceguide.events import Said
from voiceguide.speech import Speaker, say_timed

ADVICE: dict[str, tuple[str, ...]] = {
    # Sharp, electric or stabbing pain: stop; the aim is ease, not discomfort; a joint that will
    # not release is likely muscular and is better served by heat, rest or gentle stretching.
    "stop": (
        "Stopping now. Slowly ease out of the position and rest.",
        "Pain is a signal to stop, not to push through. These movements should bring ease, not discomfort.",
        "Don't force it. Tightness that won't release is usually muscular, "
        "and heat, rest or gentle stretching will help more than pushing harder.",
    ),
    # Feeling faint, sick or breathless, unable to move or to cope: the seed text does not grade these, so
    # the advice is only general and safe (stop, rest, get help if it does not pass), with no medical claim.
    "unwell": (
        "Stopping now. Slowly ease out of the position, and rest where you are.",
        "Don't try any more exercises for now.",
        "If this doesn't pass, or it gets worse, get help: call someone nearby, a doctor, or emergency services.",
    ),
    # Pain down the leg, numbness, pins and needles or weakness: possible nerve irritation,
    # which self-manipulation can worsen; needs a professional medical assessment.
    "professional": (
        "Stopping now. Slowly ease out of the position and rest.",
        "Pain that travels down your leg, numbness, pins and needles, or weakness "
        "can mean a nerve is irritated, and carrying on could make it worse.",
        "Please don't continue these exercises. Have a doctor or other health professional assess you.",
    ),
    # Sudden loss of bladder or bowel control: a medical emergency (cauda equina syndrome).
    "emergency": (
        "Stopping now. This is a medical emergency.",
        "A sudden loss of bladder or bowel control needs urgent care.",
        "Go to an emergency department right away. If you cannot get there yourself, call emergency services now.",
    ),
}


def speak_advice(speaker: Speaker, level: str, now: float) -> list[Said]:
    """The one place advice is given: cut whatever is being said and queue the advice; return its lines, timed.

    Nothing else comes first: reporting and history happen after, so no fault there can delay it.
    """
    speaker.interrupt()
    return [say_timed(speaker, line, now) for line in ADVICE[level]]
