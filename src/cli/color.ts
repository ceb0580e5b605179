/**
 * Whether to colour what goes to a stream: only on a terminal, and never when NO_COLOR is set
 * (https://no-color.org). The one colour check of the CLI: every command asks here.
 */
export function useColor(stream: { readonly isTTY?: boolean } = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR
}
