
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'sessionctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'sessionctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'sessionctl' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'End one session, or several (each ID an argument; for IDs from stdin or a file, see `end-many`)')
            [CompletionResult]::new('end-many', 'end-many', [CompletionResultType]::ParameterValue, 'End many sessions: IDs from arguments, `--file`, stdin (`-`), `--idle-for` or `--older-than`')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete sessions (destructive; asks for confirmation unless `--yes`)')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Act on exactly the sessions of a saved plan (`--plan FILE`), re-checking each first; refuses a plan made for another config or profile, or older than `--max-age`, or with entries added. `--dry-run` reads what the re-checks read: what would still happen')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List sessions, optionally only the stale ones')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the configuration')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sessionctl;end' {
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Write the plan to FILE instead of acting (nothing that changes state is sent): each ID with its action, for review and `sessionctl apply FILE`. A dry run of its own, so not with `--dry-run`')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once (default: the profile''s `concurrency`, else 8)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again')
            [CompletionResult]::new('--max-stall', '--max-stall', [CompletionResultType]::ParameterName, 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile''s `max_stall`, else 30m')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider''s limit without it)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`')
            [CompletionResult]::new('--max', '--max', [CompletionResultType]::ParameterName, 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile''s `max_per_run` holds too). A refusal, not a batch size: a sweep''s `--limit` is that')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session''s attempt right before its request goes out, and each outcome. See `--resume`')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Write the run''s metrics to PATH (Prometheus text format, atomically), for node_exporter''s textfile collector')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'If another run holds the lock of a profile''s server, wait up to DUR for it instead of exiting 5')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--ignore-missing', '--ignore-missing', [CompletionResultType]::ParameterName, 'Treat sessions that do not exist as done (exit 0)')
            [CompletionResult]::new('--ignore-not-found', '--ignore-not-found', [CompletionResultType]::ParameterName, 'Treat sessions that do not exist as done (exit 0)')
            [CompletionResult]::new('--no-lock', '--no-lock', [CompletionResultType]::ParameterName, 'Take no run lock (two runs may then work the same sessions at once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;end-many' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)')
            [CompletionResult]::new('--idle-for', '--idle-for', [CompletionResultType]::ParameterName, 'Act on every session idle for longer than this (e.g. `90m`, `2h`, `1d`)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'A sweep acts on at most N sessions: the N idle longest (across every profile), the rest left for the next run (the summary''s `left`). Unlike `--max`, it never refuses: it is how a cron job drains a backlog in batches')
            [CompletionResult]::new('--recheck-after', '--recheck-after', [CompletionResultType]::ParameterName, 'A sweep acts on no verdict older than this: a session whose listing is older when the run reaches it is read again and acted on only if it still qualifies (else `skipped`, with why). Default: the profile''s `recheck_after`, else 60s')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Write the plan to FILE instead of acting (nothing that changes state is sent): each session with its action and the evidence it was chosen on (a sweep''s listed row; for IDs given, the ID), for review and `sessionctl apply FILE`. A dry run of its own, so not with `--dry-run`')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must hold); with --idle-for or --older-than. Fields: user, user_uuid, room, agent, channel, status, thread, id, metadata.KEY, as each provider has them (README: Selecting sessions)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once (default: the profile''s `concurrency`, else 8)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again')
            [CompletionResult]::new('--max-stall', '--max-stall', [CompletionResultType]::ParameterName, 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile''s `max_stall`, else 30m')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider''s limit without it)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`')
            [CompletionResult]::new('--max', '--max', [CompletionResultType]::ParameterName, 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile''s `max_per_run` holds too). A refusal, not a batch size: a sweep''s `--limit` is that')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session''s attempt right before its request goes out, and each outcome. See `--resume`')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Write the run''s metrics to PATH (Prometheus text format, atomically), for node_exporter''s textfile collector')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'If another run holds the lock of a profile''s server, wait up to DUR for it instead of exiting 5')
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Act on every live session created (started) longer ago than this, people in it or not: a policy for over-long meetings, never implied by `--idle-for`')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--empty', '--empty', [CompletionResultType]::ParameterName, 'No longer needed: a Digital Samba sweep only ever acts on empty sessions')
            [CompletionResult]::new('--all-profiles', '--all-profiles', [CompletionResultType]::ParameterName, 'Sweep every profile in the config file; with IDs from stdin or a file, send each `profile<TAB>id` line to its profile')
            [CompletionResult]::new('--ignore-missing', '--ignore-missing', [CompletionResultType]::ParameterName, 'Treat sessions that do not exist as done (exit 0)')
            [CompletionResult]::new('--ignore-not-found', '--ignore-not-found', [CompletionResultType]::ParameterName, 'Treat sessions that do not exist as done (exit 0)')
            [CompletionResult]::new('--no-lock', '--no-lock', [CompletionResultType]::ParameterName, 'Take no run lock (two runs may then work the same sessions at once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;delete' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)')
            [CompletionResult]::new('--idle-for', '--idle-for', [CompletionResultType]::ParameterName, 'Act on every session idle for longer than this (e.g. `90m`, `2h`, `1d`)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'A sweep acts on at most N sessions: the N idle longest (across every profile), the rest left for the next run (the summary''s `left`). Unlike `--max`, it never refuses: it is how a cron job drains a backlog in batches')
            [CompletionResult]::new('--recheck-after', '--recheck-after', [CompletionResultType]::ParameterName, 'A sweep acts on no verdict older than this: a session whose listing is older when the run reaches it is read again and acted on only if it still qualifies (else `skipped`, with why). Default: the profile''s `recheck_after`, else 60s')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Write the plan to FILE instead of acting (nothing that changes state is sent): each session with its action and the evidence it was chosen on (a sweep''s listed row; for IDs given, the ID), for review and `sessionctl apply FILE`. A dry run of its own, so not with `--dry-run`')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must hold); with --idle-for or --older-than. Fields: user, user_uuid, room, agent, channel, status, thread, id, metadata.KEY, as each provider has them (README: Selecting sessions)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once (default: the profile''s `concurrency`, else 8)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again')
            [CompletionResult]::new('--max-stall', '--max-stall', [CompletionResultType]::ParameterName, 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile''s `max_stall`, else 30m')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider''s limit without it)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`')
            [CompletionResult]::new('--max', '--max', [CompletionResultType]::ParameterName, 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile''s `max_per_run` holds too). A refusal, not a batch size: a sweep''s `--limit` is that')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session''s attempt right before its request goes out, and each outcome. See `--resume`')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Write the run''s metrics to PATH (Prometheus text format, atomically), for node_exporter''s textfile collector')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'If another run holds the lock of a profile''s server, wait up to DUR for it instead of exiting 5')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'With `--wait`: how long to wait for the delete tasks (default 5m); a task still running then stays `accepted` (exit 1)')
            [CompletionResult]::new('--ended-for', '--ended-for', [CompletionResultType]::ParameterName, 'Retention: delete the stored data of every session that ended longer ago than this (e.g. `30d`), as the provider''s own end time proves (Digital Samba, Zep v2); live sessions and sessions without an end time are never acted on')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--empty', '--empty', [CompletionResultType]::ParameterName, 'No longer needed: a Digital Samba sweep only ever acts on empty sessions')
            [CompletionResult]::new('--all-profiles', '--all-profiles', [CompletionResultType]::ParameterName, 'Sweep every profile in the config file; with IDs from stdin or a file, send each `profile<TAB>id` line to its profile')
            [CompletionResult]::new('--ignore-missing', '--ignore-missing', [CompletionResultType]::ParameterName, 'Treat sessions that do not exist as done (exit 0)')
            [CompletionResult]::new('--ignore-not-found', '--ignore-not-found', [CompletionResultType]::ParameterName, 'Treat sessions that do not exist as done (exit 0)')
            [CompletionResult]::new('--no-lock', '--no-lock', [CompletionResultType]::ParameterName, 'Take no run lock (two runs may then work the same sessions at once)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required with no terminal to ask on). Dangerous in the environment: `SESSIONCTL_YES=1` confirms every delete of that shell')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required with no terminal to ask on). Dangerous in the environment: `SESSIONCTL_YES=1` confirms every delete of that shell')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Zep v4: wait until each asynchronous delete task has finished (for at most `--timeout`)')
            [CompletionResult]::new('--by-uuid', '--by-uuid', [CompletionResultType]::ParameterName, 'Zep v4: the IDs are thread UUIDs already; skip the lookup')
            [CompletionResult]::new('--orphans', '--orphans', [CompletionResultType]::ParameterName, 'elizaOS: delete what sessions left behind (channels and their messages of sessions that were ended, expired, or forgotten by a restart) instead of sessions')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;apply' {
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'Refuse a plan older than this (default 1h)')
            [CompletionResult]::new('--recheck-after', '--recheck-after', [CompletionResultType]::ParameterName, 'A sweep''s plan: re-read a session before acting when the plan''s evidence is older than this (default: the profile''s `recheck_after`, else 60s). Refused on a plan of IDs, which carries no evidence')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once (default: the profile''s `concurrency`, else 8)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again')
            [CompletionResult]::new('--max-stall', '--max-stall', [CompletionResultType]::ParameterName, 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile''s `max_stall`, else 30m')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider''s limit without it)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`')
            [CompletionResult]::new('--max', '--max', [CompletionResultType]::ParameterName, 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile''s `max_per_run` holds too). A refusal, not a batch size: a sweep''s `--limit` is that')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session''s attempt right before its request goes out, and each outcome. See `--resume`')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Write the run''s metrics to PATH (Prometheus text format, atomically), for node_exporter''s textfile collector')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'If another run holds the lock of a profile''s server, wait up to DUR for it instead of exiting 5')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'A plan that deletes: do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'A plan that deletes: do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--ignore-missing', '--ignore-missing', [CompletionResultType]::ParameterName, 'Treat sessions that do not exist as done (exit 0)')
            [CompletionResult]::new('--ignore-not-found', '--ignore-not-found', [CompletionResultType]::ParameterName, 'Treat sessions that do not exist as done (exit 0)')
            [CompletionResult]::new('--no-lock', '--no-lock', [CompletionResultType]::ParameterName, 'Take no run lock (two runs may then work the same sessions at once)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;list' {
            [CompletionResult]::new('--idle-for', '--idle-for', [CompletionResultType]::ParameterName, 'Only sessions idle for longer than this (e.g. `90m`, `2h`, `1d`)')
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Only sessions created longer ago than this')
            [CompletionResult]::new('--ended-for', '--ended-for', [CompletionResultType]::ParameterName, 'Only sessions that ended longer ago than this, by the provider''s own end time (what `delete --ended-for` would delete)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Stop after this many sessions (at least 1)')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must hold). Fields: user, user_uuid, room, agent, channel, status, thread, id, metadata.KEY, as each provider has them (README: Selecting sessions)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Include ended (or not live) sessions')
            [CompletionResult]::new('--empty', '--empty', [CompletionResultType]::ParameterName, 'Digital Samba: only sessions with no live participants')
            [CompletionResult]::new('--orphans', '--orphans', [CompletionResultType]::ParameterName, 'elizaOS: what sessions left behind instead of sessions (channels and their messages of sessions that were ended, expired, or forgotten by a restart)')
            [CompletionResult]::new('--all-profiles', '--all-profiles', [CompletionResultType]::ParameterName, 'List every profile in the config file')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;config' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a starter config file and print its path (never overwrites one)')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'Print the profile names, one per line (what shell completion offers for `-p`)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the resolved profiles, secrets masked')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate every profile; with `--online`, also read each one''s first page')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sessionctl;config;path' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;config;init' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;config;profiles' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;config;show' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;config;check' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--online', '--online', [CompletionResultType]::ParameterName, 'Read the first page of each profile''s list (one authenticated request, nothing changed), saying how many rows it had and whether paging says more follow. For a declared provider, also each declared field''s JSON pointer and what it read from the first row; exit 1 when the row has no ID there, a declared timestamp or count does not parse, or a field a sweep reads (activity, created, live, participants) is on no row of the page')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;config;help' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a starter config file and print its path (never overwrites one)')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'Print the profile names, one per line (what shell completion offers for `-p`)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the resolved profiles, secrets masked')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate every profile; with `--online`, also read each one''s first page')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sessionctl;config;help;path' {
            break
        }
        'sessionctl;config;help;init' {
            break
        }
        'sessionctl;config;help;profiles' {
            break
        }
        'sessionctl;config;help;show' {
            break
        }
        'sessionctl;config;help;check' {
            break
        }
        'sessionctl;config;help;help' {
            break
        }
        'sessionctl;completions' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: <config dir>/sessionctl/config.toml)')
            [CompletionResult]::new('--endpoint-url', '--endpoint-url', [CompletionResultType]::ParameterName, 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no notices on stderr (security warnings and errors still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sessionctl;help' {
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'End one session, or several (each ID an argument; for IDs from stdin or a file, see `end-many`)')
            [CompletionResult]::new('end-many', 'end-many', [CompletionResultType]::ParameterValue, 'End many sessions: IDs from arguments, `--file`, stdin (`-`), `--idle-for` or `--older-than`')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete sessions (destructive; asks for confirmation unless `--yes`)')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Act on exactly the sessions of a saved plan (`--plan FILE`), re-checking each first; refuses a plan made for another config or profile, or older than `--max-age`, or with entries added. `--dry-run` reads what the re-checks read: what would still happen')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List sessions, optionally only the stale ones')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the configuration')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sessionctl;help;end' {
            break
        }
        'sessionctl;help;end-many' {
            break
        }
        'sessionctl;help;delete' {
            break
        }
        'sessionctl;help;apply' {
            break
        }
        'sessionctl;help;list' {
            break
        }
        'sessionctl;help;config' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a starter config file and print its path (never overwrites one)')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'Print the profile names, one per line (what shell completion offers for `-p`)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the resolved profiles, secrets masked')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate every profile; with `--online`, also read each one''s first page')
            break
        }
        'sessionctl;help;config;path' {
            break
        }
        'sessionctl;help;config;init' {
            break
        }
        'sessionctl;help;config;profiles' {
            break
        }
        'sessionctl;help;config;show' {
            break
        }
        'sessionctl;help;config;check' {
            break
        }
        'sessionctl;help;completions' {
            break
        }
        'sessionctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
