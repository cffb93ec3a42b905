/** The value of OPA's result set given as JSON text: the first result, undefined when there is none. */
export function resultOf(resultSetJson: string): unknown {
  const resultSet = JSON.parse(resultSetJson) as Array<{ result?: unknown }> | undefined;
  return Array.isArray(resultSet) && resultSet.length > 0 ? resultSet[0]?.result : undefined;
}
