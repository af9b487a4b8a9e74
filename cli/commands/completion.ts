import { Command, type Command as CommandType } from 'commander';
import { UsageError } from '../errors.js';
import { withExamples } from '../help-text.js';

/** Every command path (`""`, `"node"`, `"node power"`, …) with the words that may follow it. */
function wordsByPath(root: CommandType): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const walk = (command: CommandType, path: string) => {
    const subcommands = command.commands.map((c) => c.name());
    const options = command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
    table.set(path, [...subcommands, ...options, '--help']);
    for (const sub of command.commands) walk(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  walk(root, '');
  return table;
}

/**
 * A bash completion function generated from the command tree itself, so it
 * can never disagree with the CLI: it follows the subcommand words typed so
 * far and offers what may come next.
 */
function bashCompletion(root: CommandType): string {
  const table = wordsByPath(root);
  const cases = [...table].map(([path, words]) => `    "${path}") echo "${words.join(' ')}" ;;`).join('\n');
  const paths = [...table.keys()].map((p) => `"${p}"`).join(' ');
  return `# anvil completion for bash: eval "$(anvil completion bash)"
_anvil_words() {
  case "$1" in
${cases}
  esac
}
_anvil() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word candidate known i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    candidate="\${path:+$path }$word"
    for known in ${paths}; do
      if [[ "$known" == "$candidate" ]]; then path="$candidate"; break; fi
    done
  done
  COMPREPLY=($(compgen -W "$(_anvil_words "$path")" -- "$cur"))
}
complete -o default -F _anvil anvil
`;
}

/** zsh runs the same function through its bash completion layer. */
function zshCompletion(root: CommandType): string {
  return `# anvil completion for zsh: eval "$(anvil completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(root)}`;
}

export function completionCommand(root: CommandType): Command {
  const command = new Command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletion(root));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(root));
      else throw new UsageError(`no completion for shell "${shell}" (bash or zsh)`);
    });
  return withExamples(
    command,
    'eval "$(anvil completion bash)"        # in ~/.bashrc',
    'eval "$(anvil completion zsh)"         # in ~/.zshrc',
  );
}
