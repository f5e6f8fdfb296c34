
use builtin;
use str;

set edit:completion:arg-completer[sessionctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'sessionctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'sessionctl'= {
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand end 'End one session, or several (each ID an argument; for IDs from stdin or a file, see `end-many`)'
            cand end-many 'End many sessions: IDs from arguments, `--file`, stdin (`-`), `--idle-for` or `--older-than`'
            cand delete 'Delete sessions (destructive; asks for confirmation unless `--yes`)'
            cand apply 'Act on exactly the sessions of a saved plan (`--plan FILE`), re-checking each first; refuses a plan made for another config or profile, or older than `--max-age`, or with entries added. `--dry-run` reads what the re-checks read: what would still happen'
            cand list 'List sessions, optionally only the stale ones'
            cand config 'Inspect the configuration'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sessionctl;end'= {
            cand --plan 'Write the plan to FILE instead of acting (nothing that changes state is sent): each ID with its action, for review and `sessionctl apply FILE`. A dry run of its own, so not with `--dry-run`'
            cand --concurrency 'Requests in flight at once (default: the profile''s `concurrency`, else 8)'
            cand --deadline 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again'
            cand --max-stall 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile''s `max_stall`, else 30m'
            cand --rate 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider''s limit without it)'
            cand --dry-run 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`'
            cand --max 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile''s `max_per_run` holds too). A refusal, not a batch size: a sweep''s `--limit` is that'
            cand --journal 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session''s attempt right before its request goes out, and each outcome. See `--resume`'
            cand --resume 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too'
            cand --metrics-file 'Write the run''s metrics to PATH (Prometheus text format, atomically), for node_exporter''s textfile collector'
            cand --wait-lock 'If another run holds the lock of a profile''s server, wait up to DUR for it instead of exiting 5'
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --ignore-missing 'Treat sessions that do not exist as done (exit 0)'
            cand --ignore-not-found 'Treat sessions that do not exist as done (exit 0)'
            cand --no-lock 'Take no run lock (two runs may then work the same sessions at once)'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;end-many'= {
            cand -f 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)'
            cand --file 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)'
            cand --idle-for 'Act on every session idle for longer than this (e.g. `90m`, `2h`, `1d`)'
            cand --limit 'A sweep acts on at most N sessions: the N idle longest (across every profile), the rest left for the next run (the summary''s `left`). Unlike `--max`, it never refuses: it is how a cron job drains a backlog in batches'
            cand --recheck-after 'A sweep acts on no verdict older than this: a session whose listing is older when the run reaches it is read again and acted on only if it still qualifies (else `skipped`, with why). Default: the profile''s `recheck_after`, else 60s'
            cand --plan 'Write the plan to FILE instead of acting (nothing that changes state is sent): each session with its action and the evidence it was chosen on (a sweep''s listed row; for IDs given, the ID), for review and `sessionctl apply FILE`. A dry run of its own, so not with `--dry-run`'
            cand --where 'Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must hold); with --idle-for or --older-than. Fields: user, user_uuid, room, agent, channel, status, thread, id, metadata.KEY, as each provider has them (README: Selecting sessions)'
            cand --concurrency 'Requests in flight at once (default: the profile''s `concurrency`, else 8)'
            cand --deadline 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again'
            cand --max-stall 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile''s `max_stall`, else 30m'
            cand --rate 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider''s limit without it)'
            cand --dry-run 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`'
            cand --max 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile''s `max_per_run` holds too). A refusal, not a batch size: a sweep''s `--limit` is that'
            cand --journal 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session''s attempt right before its request goes out, and each outcome. See `--resume`'
            cand --resume 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too'
            cand --metrics-file 'Write the run''s metrics to PATH (Prometheus text format, atomically), for node_exporter''s textfile collector'
            cand --wait-lock 'If another run holds the lock of a profile''s server, wait up to DUR for it instead of exiting 5'
            cand --older-than 'Act on every live session created (started) longer ago than this, people in it or not: a policy for over-long meetings, never implied by `--idle-for`'
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --empty 'No longer needed: a Digital Samba sweep only ever acts on empty sessions'
            cand --all-profiles 'Sweep every profile in the config file; with IDs from stdin or a file, send each `profile<TAB>id` line to its profile'
            cand --ignore-missing 'Treat sessions that do not exist as done (exit 0)'
            cand --ignore-not-found 'Treat sessions that do not exist as done (exit 0)'
            cand --no-lock 'Take no run lock (two runs may then work the same sessions at once)'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;delete'= {
            cand -f 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)'
            cand --file 'Read IDs from a file, one per line (blank lines and `#` comments are skipped)'
            cand --idle-for 'Act on every session idle for longer than this (e.g. `90m`, `2h`, `1d`)'
            cand --limit 'A sweep acts on at most N sessions: the N idle longest (across every profile), the rest left for the next run (the summary''s `left`). Unlike `--max`, it never refuses: it is how a cron job drains a backlog in batches'
            cand --recheck-after 'A sweep acts on no verdict older than this: a session whose listing is older when the run reaches it is read again and acted on only if it still qualifies (else `skipped`, with why). Default: the profile''s `recheck_after`, else 60s'
            cand --plan 'Write the plan to FILE instead of acting (nothing that changes state is sent): each session with its action and the evidence it was chosen on (a sweep''s listed row; for IDs given, the ID), for review and `sessionctl apply FILE`. A dry run of its own, so not with `--dry-run`'
            cand --where 'Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must hold); with --idle-for or --older-than. Fields: user, user_uuid, room, agent, channel, status, thread, id, metadata.KEY, as each provider has them (README: Selecting sessions)'
            cand --concurrency 'Requests in flight at once (default: the profile''s `concurrency`, else 8)'
            cand --deadline 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again'
            cand --max-stall 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile''s `max_stall`, else 30m'
            cand --rate 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider''s limit without it)'
            cand --dry-run 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`'
            cand --max 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile''s `max_per_run` holds too). A refusal, not a batch size: a sweep''s `--limit` is that'
            cand --journal 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session''s attempt right before its request goes out, and each outcome. See `--resume`'
            cand --resume 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too'
            cand --metrics-file 'Write the run''s metrics to PATH (Prometheus text format, atomically), for node_exporter''s textfile collector'
            cand --wait-lock 'If another run holds the lock of a profile''s server, wait up to DUR for it instead of exiting 5'
            cand --timeout 'With `--wait`: how long to wait for the delete tasks (default 5m); a task still running then stays `accepted` (exit 1)'
            cand --ended-for 'Retention: delete the stored data of every session that ended longer ago than this (e.g. `30d`), as the provider''s own end time proves (Digital Samba, Zep v2); live sessions and sessions without an end time are never acted on'
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --empty 'No longer needed: a Digital Samba sweep only ever acts on empty sessions'
            cand --all-profiles 'Sweep every profile in the config file; with IDs from stdin or a file, send each `profile<TAB>id` line to its profile'
            cand --ignore-missing 'Treat sessions that do not exist as done (exit 0)'
            cand --ignore-not-found 'Treat sessions that do not exist as done (exit 0)'
            cand --no-lock 'Take no run lock (two runs may then work the same sessions at once)'
            cand -y 'Do not ask for confirmation (required with no terminal to ask on). Dangerous in the environment: `SESSIONCTL_YES=1` confirms every delete of that shell'
            cand --yes 'Do not ask for confirmation (required with no terminal to ask on). Dangerous in the environment: `SESSIONCTL_YES=1` confirms every delete of that shell'
            cand --wait 'Zep v4: wait until each asynchronous delete task has finished (for at most `--timeout`)'
            cand --by-uuid 'Zep v4: the IDs are thread UUIDs already; skip the lookup'
            cand --orphans 'elizaOS: delete what sessions left behind (channels and their messages of sessions that were ended, expired, or forgotten by a restart) instead of sessions'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;apply'= {
            cand --max-age 'Refuse a plan older than this (default 1h)'
            cand --recheck-after 'A sweep''s plan: re-read a session before acting when the plan''s evidence is older than this (default: the profile''s `recheck_after`, else 60s). Refused on a plan of IDs, which carries no evidence'
            cand --concurrency 'Requests in flight at once (default: the profile''s `concurrency`, else 8)'
            cand --deadline 'Stop starting requests after this long (e.g. `10m`); what is left is `skipped` (exit 1), and the message says when the provider accepts requests again'
            cand --max-stall 'When no session has finished for this long (a provider answering 429 for ever), the rest are `skipped` with what the provider last said (exit 1); default: the profile''s `max_stall`, else 30m'
            cand --rate 'Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the provider''s limit without it)'
            cand --dry-run 'Show what would be done; send nothing that changes state. `--dry-run=server` also reads each session from the provider, to report `not_found` or `already_ended`'
            cand --max 'Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions; with `--all-profiles`, N is the total (each profile''s `max_per_run` holds too). A refusal, not a batch size: a sweep''s `--limit` is that'
            cand --journal 'Record the run in FILE (appended, NDJSON, flushed to disk every second): its start, each session''s attempt right before its request goes out, and each outcome. See `--resume`'
            cand --resume 'Run the job recorded in FILE again after a crash: sessions with an outcome there are not sent again, attempted ones without one are; the run is recorded in FILE too'
            cand --metrics-file 'Write the run''s metrics to PATH (Prometheus text format, atomically), for node_exporter''s textfile collector'
            cand --wait-lock 'If another run holds the lock of a profile''s server, wait up to DUR for it instead of exiting 5'
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand -y 'A plan that deletes: do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'A plan that deletes: do not ask for confirmation (required when stdin is not a terminal)'
            cand --ignore-missing 'Treat sessions that do not exist as done (exit 0)'
            cand --ignore-not-found 'Treat sessions that do not exist as done (exit 0)'
            cand --no-lock 'Take no run lock (two runs may then work the same sessions at once)'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;list'= {
            cand --idle-for 'Only sessions idle for longer than this (e.g. `90m`, `2h`, `1d`)'
            cand --older-than 'Only sessions created longer ago than this'
            cand --ended-for 'Only sessions that ended longer ago than this, by the provider''s own end time (what `delete --ended-for` would delete)'
            cand --limit 'Stop after this many sessions (at least 1)'
            cand --where 'Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must hold). Fields: user, user_uuid, room, agent, channel, status, thread, id, metadata.KEY, as each provider has them (README: Selecting sessions)'
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --all 'Include ended (or not live) sessions'
            cand --empty 'Digital Samba: only sessions with no live participants'
            cand --orphans 'elizaOS: what sessions left behind instead of sessions (channels and their messages of sessions that were ended, expired, or forgotten by a restart)'
            cand --all-profiles 'List every profile in the config file'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;config'= {
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand path 'Print the config file''s path'
            cand init 'Write a starter config file and print its path (never overwrites one)'
            cand profiles 'Print the profile names, one per line (what shell completion offers for `-p`)'
            cand show 'Print the resolved profiles, secrets masked'
            cand check 'Validate every profile; with `--online`, also read each one''s first page'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sessionctl;config;path'= {
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;config;init'= {
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;config;profiles'= {
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;config;show'= {
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;config;check'= {
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --online 'Read the first page of each profile''s list (one authenticated request, nothing changed), saying how many rows it had and whether paging says more follow. For a declared provider, also each declared field''s JSON pointer and what it read from the first row; exit 1 when the row has no ID there, a declared timestamp or count does not parse, or a field a sweep reads (activity, created, live, participants) is on no row of the page'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;config;help'= {
            cand path 'Print the config file''s path'
            cand init 'Write a starter config file and print its path (never overwrites one)'
            cand profiles 'Print the profile names, one per line (what shell completion offers for `-p`)'
            cand show 'Print the resolved profiles, secrets masked'
            cand check 'Validate every profile; with `--online`, also read each one''s first page'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sessionctl;config;help;path'= {
        }
        &'sessionctl;config;help;init'= {
        }
        &'sessionctl;config;help;profiles'= {
        }
        &'sessionctl;config;help;show'= {
        }
        &'sessionctl;config;help;check'= {
        }
        &'sessionctl;config;help;help'= {
        }
        &'sessionctl;completions'= {
            cand -p 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand --profile 'Profile to use (default: `default_profile` in the config file, else the built-in `local`)'
            cand -c 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --config 'Config file (default: <config dir>/sessionctl/config.toml)'
            cand --endpoint-url 'Send to this base URL instead of the profile''s `base_url` (the profile''s provider, key and settings still apply; without a config file, the built-in `local` profile''s: elizaOS messaging). Not with --all-profiles'
            cand -o 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand --output 'Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only'
            cand -v 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand --verbose 'Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply''s headers and the start of its body)'
            cand -q 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand --quiet 'No progress bar and no notices on stderr (security warnings and errors still show)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sessionctl;help'= {
            cand end 'End one session, or several (each ID an argument; for IDs from stdin or a file, see `end-many`)'
            cand end-many 'End many sessions: IDs from arguments, `--file`, stdin (`-`), `--idle-for` or `--older-than`'
            cand delete 'Delete sessions (destructive; asks for confirmation unless `--yes`)'
            cand apply 'Act on exactly the sessions of a saved plan (`--plan FILE`), re-checking each first; refuses a plan made for another config or profile, or older than `--max-age`, or with entries added. `--dry-run` reads what the re-checks read: what would still happen'
            cand list 'List sessions, optionally only the stale ones'
            cand config 'Inspect the configuration'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sessionctl;help;end'= {
        }
        &'sessionctl;help;end-many'= {
        }
        &'sessionctl;help;delete'= {
        }
        &'sessionctl;help;apply'= {
        }
        &'sessionctl;help;list'= {
        }
        &'sessionctl;help;config'= {
            cand path 'Print the config file''s path'
            cand init 'Write a starter config file and print its path (never overwrites one)'
            cand profiles 'Print the profile names, one per line (what shell completion offers for `-p`)'
            cand show 'Print the resolved profiles, secrets masked'
            cand check 'Validate every profile; with `--online`, also read each one''s first page'
        }
        &'sessionctl;help;config;path'= {
        }
        &'sessionctl;help;config;init'= {
        }
        &'sessionctl;help;config;profiles'= {
        }
        &'sessionctl;help;config;show'= {
        }
        &'sessionctl;help;config;check'= {
        }
        &'sessionctl;help;completions'= {
        }
        &'sessionctl;help;help'= {
        }
    ]
    $completions[$command]
}
