# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sessionctl_global_optspecs
    string join \n p/profile= c/config= endpoint-url= o/output= v/verbose q/quiet h/help V/version
end

function __fish_sessionctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sessionctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sessionctl_using_subcommand
    set -l cmd (__fish_sessionctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sessionctl -n "__fish_sessionctl_needs_command" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_needs_command" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_needs_command" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_needs_command" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_needs_command" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -f -a "end" -d 'End one session, or several (each ID an argument; for IDs from stdin or a file, see `end-many`)'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -f -a "end-many" -d 'End many sessions: IDs from arguments, `--file`, stdin (`-`), `--idle-for` or `--older-than`'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -f -a "delete" -d 'Delete sessions (destructive; asks for confirmation unless `--yes`)'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -f -a "apply" -d 'Act on exactly the sessions of a saved plan (`--plan FILE`), re-checking each first; refuses a plan made for another config or profile, or older than `--max-age`, or with entries added. `--dry-run` reads what the re-checks read: what would still happen'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -f -a "list" -d 'List sessions, optionally only the stale ones'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -f -a "config" -d 'Inspect the configuration'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c sessionctl -n "__fish_sessionctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l plan -d 'Write the plan to FILE instead of acting (nothing that changes state is sent): each ID with its action, for review and `sessionctl apply FILE`. A dry run of its own, so not with `--dry-run`' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l concurrency -d 'Requests in flight at once (default: the profile\'s `concurrency`, else 8)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l deadline -d 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l max-stall -d 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile\'s `max_stall`, else 30m' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l rate -d 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider\'s limit without it)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l dry-run -d 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`' -r -f -a "client\t'Send nothing at all; every session is reported `would_end`/`would_delete`'
server\t'Read each session (never change it) to report what a real run would find'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l max -d 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile\'s `max_per_run` holds too). A refusal, not a batch size: a sweep\'s `--limit` is that' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l journal -d 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session\'s attempt right before its request goes out, and each outcome. See `--resume`' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l resume -d 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l metrics-file -d 'Write the run\'s metrics to PATH (Prometheus text format, atomically), for node_exporter\'s textfile collector' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l wait-lock -d 'If another run holds the lock of a profile\'s server, wait up to DUR for it instead of exiting 5' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l ignore-missing -l ignore-not-found -d 'Treat sessions that do not exist as done (exit 0)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -l no-lock -d 'Take no run lock (two runs may then work the same sessions at once)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -s f -l file -d 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l idle-for -d 'Act on every session idle for longer than this (e.g. `90m`, `2h`, `1d`)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l limit -d 'A sweep acts on at most N sessions: the N idle longest (across every profile), the rest left for the next run (the summary\'s `left`). Unlike `--max`, it never refuses: it is how a cron job drains a backlog in batches' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l recheck-after -d 'A sweep acts on no verdict older than this: a session whose listing is older when the run reaches it is read again and acted on only if it still qualifies (else `skipped`, with why). Default: the profile\'s `recheck_after`, else 60s' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l plan -d 'Write the plan to FILE instead of acting (nothing that changes state is sent): each session with its action and the evidence it was chosen on (a sweep\'s listed row; for IDs given, the ID), for review and `sessionctl apply FILE`. A dry run of its own, so not with `--dry-run`' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l where -d 'Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must hold); with --idle-for or --older-than. Fields: user, user_uuid, room, agent, channel, status, thread, id, metadata.KEY, as each provider has them (README: Selecting sessions)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l concurrency -d 'Requests in flight at once (default: the profile\'s `concurrency`, else 8)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l deadline -d 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l max-stall -d 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile\'s `max_stall`, else 30m' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l rate -d 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider\'s limit without it)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l dry-run -d 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`' -r -f -a "client\t'Send nothing at all; every session is reported `would_end`/`would_delete`'
server\t'Read each session (never change it) to report what a real run would find'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l max -d 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile\'s `max_per_run` holds too). A refusal, not a batch size: a sweep\'s `--limit` is that' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l journal -d 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session\'s attempt right before its request goes out, and each outcome. See `--resume`' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l resume -d 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l metrics-file -d 'Write the run\'s metrics to PATH (Prometheus text format, atomically), for node_exporter\'s textfile collector' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l wait-lock -d 'If another run holds the lock of a profile\'s server, wait up to DUR for it instead of exiting 5' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l older-than -d 'Act on every live session created (started) longer ago than this, people in it or not: a policy for over-long meetings, never implied by `--idle-for`' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l empty -d 'No longer needed: a Digital Samba sweep only ever acts on empty sessions'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l all-profiles -d 'Sweep every profile in the config file; with IDs from stdin or a file, send each `profile<TAB>id` line to its profile'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l ignore-missing -l ignore-not-found -d 'Treat sessions that do not exist as done (exit 0)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -l no-lock -d 'Take no run lock (two runs may then work the same sessions at once)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand end-many" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -s f -l file -d 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l idle-for -d 'Act on every session idle for longer than this (e.g. `90m`, `2h`, `1d`)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l limit -d 'A sweep acts on at most N sessions: the N idle longest (across every profile), the rest left for the next run (the summary\'s `left`). Unlike `--max`, it never refuses: it is how a cron job drains a backlog in batches' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l recheck-after -d 'A sweep acts on no verdict older than this: a session whose listing is older when the run reaches it is read again and acted on only if it still qualifies (else `skipped`, with why). Default: the profile\'s `recheck_after`, else 60s' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l plan -d 'Write the plan to FILE instead of acting (nothing that changes state is sent): each session with its action and the evidence it was chosen on (a sweep\'s listed row; for IDs given, the ID), for review and `sessionctl apply FILE`. A dry run of its own, so not with `--dry-run`' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l where -d 'Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must hold); with --idle-for or --older-than. Fields: user, user_uuid, room, agent, channel, status, thread, id, metadata.KEY, as each provider has them (README: Selecting sessions)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l concurrency -d 'Requests in flight at once (default: the profile\'s `concurrency`, else 8)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l deadline -d 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l max-stall -d 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile\'s `max_stall`, else 30m' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l rate -d 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider\'s limit without it)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l dry-run -d 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`' -r -f -a "client\t'Send nothing at all; every session is reported `would_end`/`would_delete`'
server\t'Read each session (never change it) to report what a real run would find'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l max -d 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile\'s `max_per_run` holds too). A refusal, not a batch size: a sweep\'s `--limit` is that' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l journal -d 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session\'s attempt right before its request goes out, and each outcome. See `--resume`' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l resume -d 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l metrics-file -d 'Write the run\'s metrics to PATH (Prometheus text format, atomically), for node_exporter\'s textfile collector' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l wait-lock -d 'If another run holds the lock of a profile\'s server, wait up to DUR for it instead of exiting 5' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l timeout -d 'With `--wait`: how long to wait for the delete tasks (default 5m); a task still running then stays `accepted` (exit 1)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l ended-for -d 'Retention: delete the stored data of every session that ended longer ago than this (e.g. `30d`), as the provider\'s own end time proves (Digital Samba, Zep v2); live sessions and sessions without an end time are never acted on' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l empty -d 'No longer needed: a Digital Samba sweep only ever acts on empty sessions'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l all-profiles -d 'Sweep every profile in the config file; with IDs from stdin or a file, send each `profile<TAB>id` line to its profile'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l ignore-missing -l ignore-not-found -d 'Treat sessions that do not exist as done (exit 0)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l no-lock -d 'Take no run lock (two runs may then work the same sessions at once)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -s y -l yes -d 'Do not ask for confirmation (required with no terminal to ask on). Dangerous in the environment: `SESSIONCTL_YES=1` confirms every delete of that shell'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l wait -d 'Zep v4: wait until each asynchronous delete task has finished (for at most `--timeout`)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l by-uuid -d 'Zep v4: the IDs are thread UUIDs already; skip the lookup'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -l orphans -d 'elizaOS: delete what sessions left behind (channels and their messages of sessions that were ended, expired, or forgotten by a restart) instead of sessions'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand delete" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l max-age -d 'Refuse a plan older than this (default 1h)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l recheck-after -d 'A sweep\'s plan: re-read a session before acting when the plan\'s evidence is older than this (default: the profile\'s `recheck_after`, else 60s). Refused on a plan of IDs, which carries no evidence' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l concurrency -d 'Requests in flight at once (default: the profile\'s `concurrency`, else 8)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l deadline -d 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l max-stall -d 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile\'s `max_stall`, else 30m' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l rate -d 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider\'s limit without it)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l dry-run -d 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`' -r -f -a "client\t'Send nothing at all; every session is reported `would_end`/`would_delete`'
server\t'Read each session (never change it) to report what a real run would find'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l max -d 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile\'s `max_per_run` holds too). A refusal, not a batch size: a sweep\'s `--limit` is that' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l journal -d 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session\'s attempt right before its request goes out, and each outcome. See `--resume`' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l resume -d 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l metrics-file -d 'Write the run\'s metrics to PATH (Prometheus text format, atomically), for node_exporter\'s textfile collector' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l wait-lock -d 'If another run holds the lock of a profile\'s server, wait up to DUR for it instead of exiting 5' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -s y -l yes -d 'A plan that deletes: do not ask for confirmation (required when stdin is not a terminal)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l ignore-missing -l ignore-not-found -d 'Treat sessions that do not exist as done (exit 0)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -l no-lock -d 'Take no run lock (two runs may then work the same sessions at once)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand apply" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l idle-for -d 'Only sessions idle for longer than this (e.g. `90m`, `2h`, `1d`)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l older-than -d 'Only sessions created longer ago than this' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l ended-for -d 'Only sessions that ended longer ago than this, by the provider\'s own end time (what `delete --ended-for` would delete)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l limit -d 'Stop after this many sessions (at least 1)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l where -d 'Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must hold). Fields: user, user_uuid, room, agent, channel, status, thread, id, metadata.KEY, as each provider has them (README: Selecting sessions)' -r
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l all -d 'Include ended (or not live) sessions'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l empty -d 'Digital Samba: only sessions with no live participants'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l orphans -d 'elizaOS: what sessions left behind instead of sessions (channels and their messages of sessions that were ended, expired, or forgotten by a restart)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -l all-profiles -d 'List every profile in the config file'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand list" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -f -a "path" -d 'Print the config file\'s path'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -f -a "init" -d 'Write a starter config file and print its path (never overwrites one)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -f -a "profiles" -d 'Print the profile names, one per line (what shell completion offers for `-p`)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -f -a "show" -d 'Print the resolved profiles, secrets masked'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -f -a "check" -d 'Validate every profile; with `--online`, also read each one\'s first page'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and not __fish_seen_subcommand_from path init profiles show check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from path" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from path" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from path" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from path" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from init" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from init" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from init" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from init" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from init" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from profiles" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from profiles" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from profiles" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from profiles" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from profiles" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from profiles" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from profiles" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from profiles" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from show" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from show" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from show" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from check" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from check" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from check" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from check" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from check" -l online -d 'Read the first page of each profile\'s list (one authenticated request, nothing changed), saying how many rows it had and whether paging says more follow. For a declared provider, also each declared field\'s JSON pointer and what it read from the first row; exit 1 when the row has no ID there, a declared timestamp or count does not parse, or a field a sweep reads (activity, created, live, participants) is on no row of the page'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from check" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the config file\'s path'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Write a starter config file and print its path (never overwrites one)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "profiles" -d 'Print the profile names, one per line (what shell completion offers for `-p`)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the resolved profiles, secrets masked'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate every profile; with `--online`, also read each one\'s first page'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand completions" -s p -l profile -d 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)' -r -f -a "(sessionctl config profiles 2>/dev/null)"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand completions" -s c -l config -d 'Config file (default: <config dir>/sessionctl/config.toml)' -r -F
complete -c sessionctl -n "__fish_sessionctl_using_subcommand completions" -l endpoint-url -d 'Send to this base URL instead of the profile\'s `base_url` (the profile\'s provider, key and settings still apply; without a config file, the built-in `local` profile\'s: elizaOS messaging). Not with --all-profiles' -r -f
complete -c sessionctl -n "__fish_sessionctl_using_subcommand completions" -s o -l output -d 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only' -r -f -a "table\t'A table for people'
json\t'One JSON document, streamed as sessions finish'
ndjson\t'One JSON object per line, printed as each session finishes'
ids\t'Session IDs, one per line (for `list`), to pipe into `end-many -`; with `--all-profiles`, `profile<TAB>id`'
wide\t'The table plus the columns CREATED, LAST ACTIVITY, USER, ROOM, AGENT, CHANNEL, EXPIRES, LEFT, STATUS, METADATA, each where a row has it (for `list`)'"
complete -c sessionctl -n "__fish_sessionctl_using_subcommand completions" -s v -l verbose -d 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply\'s headers and the start of its body)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand completions" -s q -l quiet -d 'No progress bar and no notices on stderr (security warnings and errors still show)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and not __fish_seen_subcommand_from end end-many delete apply list config completions help" -f -a "end" -d 'End one session, or several (each ID an argument; for IDs from stdin or a file, see `end-many`)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and not __fish_seen_subcommand_from end end-many delete apply list config completions help" -f -a "end-many" -d 'End many sessions: IDs from arguments, `--file`, stdin (`-`), `--idle-for` or `--older-than`'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and not __fish_seen_subcommand_from end end-many delete apply list config completions help" -f -a "delete" -d 'Delete sessions (destructive; asks for confirmation unless `--yes`)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and not __fish_seen_subcommand_from end end-many delete apply list config completions help" -f -a "apply" -d 'Act on exactly the sessions of a saved plan (`--plan FILE`), re-checking each first; refuses a plan made for another config or profile, or older than `--max-age`, or with entries added. `--dry-run` reads what the re-checks read: what would still happen'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and not __fish_seen_subcommand_from end end-many delete apply list config completions help" -f -a "list" -d 'List sessions, optionally only the stale ones'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and not __fish_seen_subcommand_from end end-many delete apply list config completions help" -f -a "config" -d 'Inspect the configuration'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and not __fish_seen_subcommand_from end end-many delete apply list config completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and not __fish_seen_subcommand_from end end-many delete apply list config completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the config file\'s path'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Write a starter config file and print its path (never overwrites one)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "profiles" -d 'Print the profile names, one per line (what shell completion offers for `-p`)'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the resolved profiles, secrets masked'
complete -c sessionctl -n "__fish_sessionctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Validate every profile; with `--online`, also read each one\'s first page'
complete -c sessionctl -n 'string match -qr -- "^(-p|--profile)\$" (commandline -opc)[-1]' -f -a "(sessionctl config profiles 2>/dev/null)" -d 'Profile'
