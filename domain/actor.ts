/**
 * Who acts on a process, as its workflow hears it: the token's subject and, for partner staff, their partner (absent
 * for vendor staff; a partner may act only on its own partner's processes). One shape for every process.
 */
export type Actor = { sub: string; partnerId?: string };

/** The actor of an authenticated principal (domain/auth.ts Principal). */
export const actorOf = (principal: { sub: string; partnerId?: string | undefined }): Actor => ({
  sub: principal.sub,
  ...(principal.partnerId ? { partnerId: principal.partnerId } : {}),
});
