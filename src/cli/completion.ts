// `keyless completion bash|zsh`: a completion script generated from the command tree itself, so
// it never drifts from the commands. For each command path it offers the subcommands and the
// options; zsh runs the same function through bashcompinit, as az's completion does.
import type { Command } from 'commander'
import { examples } from './command.js'

/** Every command path (`''`, `vault`, `vault secret`, …) with the words that may follow it. */
export function completionTable(program: Command): Map<string, string[]> {
  const table = new Map<string, string[]>()
  const walk = (cmd: Command, path: string) => {
    const words = [
      ...cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]),
      ...cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x))),
      '--help',
    ]
    table.set(path, [...new Set(words)])
    for (const c of cmd.commands) {
      for (const name of [c.name(), ...c.aliases()]) walk(c, path ? `${path} ${name}` : name)
    }
  }
  walk(program, '')
  return table
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export function bashCompletion(program: Command): string {
  const entries = [...completionTable(program)]
    .map(([path, words]) => `  [${quote(path || '.')}]=${quote(words.join(' '))}`)
    .join('\n')
  const name = program.name()
  return `# ${name} completion for bash: eval "$(${name} completion bash)"
declare -A _${name}_words=(
${entries}
)
_${name}() {
  # In zsh (through bashcompinit): sh's word splitting and 0-based arrays, for this function.
  [ -n "\${ZSH_VERSION-}" ] && emulate -L sh
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" word i
  # The longest command path among the words before the cursor (options and values skipped).
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    if [[ -n "\${_${name}_words[\${cmdpath:+$cmdpath }$word]+set}" ]]; then cmdpath="\${cmdpath:+$cmdpath }$word"; fi
  done
  COMPREPLY=()
  for word in \${_${name}_words[\${cmdpath:-.}]}; do
    [[ "$word" == "$cur"* ]] && COMPREPLY+=("$word")
  done
  return 0
}
complete -o default -F _${name} ${name}
`
}

export function zshCompletion(program: Command): string {
  const name = program.name()
  return `# ${name} completion for zsh: eval "$(${name} completion zsh)"
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit -u; }
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).split('\n').slice(1).join('\n')}`
}

export function registerCompletion(program: Command): void {
  const cmd = program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
  examples(cmd, [
    'eval "$(keyless completion bash)"     # in ~/.bashrc',
    'eval "$(keyless completion zsh)"      # in ~/.zshrc',
  ])
  cmd.action((shell: string) => {
    if (shell !== 'bash' && shell !== 'zsh')
      program.error(`error: unknown shell '${shell}': bash or zsh`)
    process.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program))
  })
}
