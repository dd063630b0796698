"""The ``bot`` command group: the citizens' front door on messengers."""

from __future__ import annotations

from typing import Annotated

import typer

from honestcount.cli.common import ElectionOpt, app, engine, err, run_guarded

bot_app = typer.Typer(help="Messenger bots in front of the intake API.", no_args_is_help=True)
app.add_typer(bot_app, name="bot")

IntakeOpt = Annotated[
    str | None,
    typer.Option("--intake", help="The intake API (default: HONESTCOUNT_FRONTDOOR_INTAKE_URL)."),
]
ListenOpt = Annotated[
    str, typer.Option("--listen", help="HOST:PORT the webhook server listens on.")
]


@bot_app.command("telegram")
def telegram(
    election: ElectionOpt,
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            help="Public HTTPS URL Telegram calls (behind a TLS terminator); default: long "
            "polling, which needs no public address.",
        ),
    ] = None,
    intake: IntakeOpt = None,
    listen: ListenOpt = "127.0.0.1:8081",
) -> None:
    """Run the Telegram bot for an election (token: HONESTCOUNT_TELEGRAM_TOKEN)."""
    import asyncio
    import secrets

    from honestcount.frontdoor.telegram import serve
    from honestcount.settings import ConfigurationError, FrontdoorSettings

    def run() -> None:
        settings = FrontdoorSettings()
        if intake:
            settings = settings.model_copy(update={"intake_url": intake})
        if settings.telegram_token is None:
            raise ConfigurationError(
                "the Telegram bot needs HONESTCOUNT_TELEGRAM_TOKEN (the token from @BotFather)"
            )
        host, port = listen_address(listen)
        quiet_logging("aiogram")
        mode = f"webhook {webhook}" if webhook else "long polling"
        err.print(f"bot for {election}: {mode}, intake {settings.intake_url}", highlight=False)
        asyncio.run(
            serve(
                settings,
                engine(),
                election,
                webhook=webhook,
                host=host,
                port=port,
                webhook_secret=secrets.token_urlsafe(32) if webhook else None,
            )
        )

    try:
        run_guarded(run)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def listen_address(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` of a webhook server, refused with a clear error when malformed."""
    from honestcount.settings import ConfigurationError

    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ConfigurationError(f"--listen wants HOST:PORT, not {listen!r}")
    return host or "127.0.0.1", int(port)


def quiet_logging(library: str) -> None:
    """Warnings from everything; progress from honestcount and the messenger library."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    for name in ("honestcount", library):
        logging.getLogger(name).setLevel(logging.INFO)


@bot_app.command("viber")
def viber(
    election: ElectionOpt,
    webhook: Annotated[
        str,
        typer.Option(
            "--webhook",
            help="Public HTTPS URL Viber calls (behind a TLS terminator that forwards its path "
            "to --listen); Viber has no long polling.",
        ),
    ],
    intake: IntakeOpt = None,
    listen: ListenOpt = "127.0.0.1:8082",
) -> None:
    """Run the Viber bot for an election (token: HONESTCOUNT_VIBER_TOKEN). Viber does not say
    whose number a contact card is, so its voters register unverified."""
    import asyncio

    from honestcount.frontdoor.viber import serve
    from honestcount.settings import ConfigurationError, FrontdoorSettings

    def run() -> None:
        settings = FrontdoorSettings()
        if settings.viber_token is None:
            raise ConfigurationError(
                "the Viber bot needs HONESTCOUNT_VIBER_TOKEN (the token of the Viber bot account)"
            )
        host, port = listen_address(listen)
        quiet_logging("aiohttp")
        intake_url = intake or settings.intake_url
        err.print(f"Viber bot for {election}: webhook {webhook}, intake {intake_url}")
        asyncio.run(
            serve(
                settings.viber_token.get_secret_value(),
                engine(),
                election,
                intake_url,
                webhook,
                host=host,
                port=port,
                **({"api_base": settings.viber_api} if settings.viber_api else {}),
            )
        )

    try:
        run_guarded(run)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
