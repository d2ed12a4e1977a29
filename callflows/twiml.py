"""TwiML, built in one place: pure functions from plain values to a VoiceResponse."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from twilio.twiml.voice_response import Gather, VoiceResponse

LANGUAGE = "fr-FR"
VOICE = "Polly.Lea"
SPEECH_HINTS = "médecin traitant, visite à domicile, consulter rapidement, autre demande, répéter"


@dataclass(frozen=True)
class Urls:
    """The absolute webhook URLs the TwiML points Twilio to."""

    base: str

    def __call__(self, path: str, **query: object) -> str:
        """An absolute URL for a webhook path with a query string."""
        if not query:
            return f"{self.base}{path}"
        params = "&".join(f"{key}={value}" for key, value in query.items())
        return f"{self.base}{path}?{params}"


def ring_tone_for(number: str) -> dict[str, str]:
    """`ringTone="fr"` when dialling a French number: the caller hears a French ringback, not Twilio's US one."""
    return {"ring_tone": "fr"} if number.startswith("+33") else {}


def say(response: VoiceResponse | Gather, words: str) -> None:
    """Speak French words with the line's voice."""
    response.say(words, language=LANGUAGE, voice=VOICE)


def menu(urls: Urls, intro: list[str], prompt: str, tries: int) -> VoiceResponse:
    """Say the intro, ask the motive (keys or speech), and come back to the menu action on silence."""
    response = VoiceResponse()
    for words in intro:
        say(response, words)
    action = urls("/twilio/voice/menu", attempt=tries)
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        action=action,
        method="POST",
        timeout=6,
        speech_timeout="auto",
        language=LANGUAGE,
        hints=SPEECH_HINTS,
    )
    say(gather, prompt)
    response.redirect(action, method="POST")
    return response


@lru_cache(maxsize=256)
def menu_document(urls: Urls, intro: tuple[str, ...], prompt: str, tries: int) -> str:
    """The menu's TwiML as text, built once per distinct input: every inbound call of a line hears the same."""
    # Keyed on everything the document is made of (the words already reflect the territory's settings), so a
    # changed welcome, prompt or crisis announcement is a new key: never a stale document.
    return str(menu(urls, list(intro), prompt, tries))


def ask_postcode(urls: Urls, intro: list[str], prompt: str, tries: int) -> VoiceResponse:
    """Ask the five digits of the postcode by keys; speech only on the second try. Silence comes back."""
    response = VoiceResponse()
    for words in intro:
        say(response, words)
    action = urls("/twilio/voice/postcode", attempt=tries)
    # Keys first: five digits typed are exact, a spoken postcode often is not ("vingt" or "20"?).
    listen: dict[str, object] = (
        {"input": "dtmf"} if tries <= 1 else {"input": "dtmf speech", "speech_timeout": "auto", "language": LANGUAGE}
    )
    gather = response.gather(num_digits=5, action=action, method="POST", timeout=8, **listen)
    say(gather, prompt)
    response.redirect(action, method="POST")
    return response


def ring_volunteer(
    urls: Urls,
    intro: list[str],
    attempt_id: int,
    volunteer_phone: str,
    caller_id: str | None,
    ring_seconds: int,
) -> VoiceResponse:
    """One <Dial> to one volunteer, with a screening URL so only a pressed 1 bridges the call."""
    response = VoiceResponse()
    for words in intro:
        say(response, words)
    dial = response.dial(
        action=urls("/twilio/voice/dial", attempt=attempt_id),
        method="POST",
        timeout=ring_seconds,
        caller_id=caller_id,
        **ring_tone_for(volunteer_phone),
    )
    dial.number(
        volunteer_phone,
        url=urls("/twilio/voice/screen", attempt=attempt_id),
        method="POST",
        status_callback=urls("/twilio/status", attempt=attempt_id),
        status_callback_event="initiated ringing answered completed",
        status_callback_method="POST",
    )
    return response


def screening(urls: Urls, words: str, again: str, attempt_id: int) -> VoiceResponse:
    """What the volunteer hears: the motive and postcode, 1 to take the call; two silences hang up.

    A ``<Number url>`` document may only speak, listen and hang up (Twilio: "provide a chance to decline
    the phone call using <Gather> and <Hangup>"): the second chance is a second <Gather> in the same
    document, never a <Redirect>, and a voicemail that never presses 1 reaches the <Hangup/>.
    """
    response = VoiceResponse()
    action = urls("/twilio/voice/screen/answer", attempt=attempt_id)
    for prompt in (words, f"{again} {words}"):
        gather = response.gather(input="dtmf", num_digits=1, action=action, method="POST", timeout=6)
        say(gather, prompt)
    response.hangup()
    return response


def bridge(words: str) -> VoiceResponse:
    """Said to the volunteer who pressed 1; the end of this document bridges the two legs."""
    response = VoiceResponse()
    say(response, words)
    return response


def leave_message(urls: Urls, intro: list[str], reference: str, max_seconds: int = 120) -> VoiceResponse:
    """Nobody can take the call now, or the line is closed: record a message for a call back."""
    response = VoiceResponse()
    for words in intro:
        say(response, words)
    response.record(
        action=urls("/twilio/voice/recorded", ref=reference),
        method="POST",
        max_length=max_seconds,
        timeout=5,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=urls("/twilio/recording", ref=reference),
        recording_status_callback_method="POST",
    )
    response.redirect(urls("/twilio/voice/recorded", ref=reference, empty=1), method="POST")
    return response


def transfer(urls: Urls, intro: list[str], phone: str, caller_id: str | None) -> VoiceResponse:
    """Say where the caller is sent and put them through to that number; its action says whether it connected."""
    response = VoiceResponse()
    for words in intro:
        say(response, words)
    dial = response.dial(
        action=urls("/twilio/voice/transfer"),
        method="POST",
        caller_id=caller_id,
        timeout=30,
        **ring_tone_for(phone),
    )
    dial.number(
        phone,
        status_callback=urls("/twilio/voice/transfer/status"),
        status_callback_event="answered",
        status_callback_method="POST",
    )
    return response


def speak_and_hang_up(words: list[str]) -> VoiceResponse:
    """Say something and end the call."""
    response = VoiceResponse()
    for line in words:
        say(response, line)
    response.hangup()
    return response


def redirect(url: str, intro: list[str] | None = None) -> VoiceResponse:
    """Say something, then continue at another webhook."""
    response = VoiceResponse()
    for words in intro or []:
        say(response, words)
    response.redirect(url, method="POST")
    return response


def empty() -> str:
    """An empty TwiML document (for status callbacks, which Twilio does not read)."""
    return str(VoiceResponse())


def fallback(urls: Urls, intro: list[str], max_seconds: int = 120) -> VoiceResponse:
    """The path when the database is down: say what to do, record a message into the journal."""
    response = VoiceResponse()
    for words in intro:
        say(response, words)
    response.record(
        action=urls("/twilio/fallback/recorded"),
        method="POST",
        max_length=max_seconds,
        timeout=5,
        finish_on_key="#",
        play_beep=True,
    )
    response.hangup()
    return response
