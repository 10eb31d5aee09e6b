/** The sign-in's words, zh-CN and en (read with useMessagesOf): single sign-on and how a session ended. */
const zh = {
  loading: '正在读取登录方式…',
  completing: '正在完成单点登录…',
  ssoHelp: '使用贵组织的账号登录。',
  ssoButton: '使用单点登录',
  expired: '登录已过期，请重新登录。',
  refused: '访问令牌无效或已过期，请重新登录。',
  notForApi: '身份提供方签发的访问令牌不是给本系统的，请联系管理员检查受众（audience）设置。',
  failed: (why: string) => `单点登录未完成：${why}`,
  signedOutLocally: '已退出控制台。身份提供方未提供退出接口，其登录状态仍然保留。',
  configFailed: '无法读取登录方式，请刷新页面重试。',
};

export type AuthMessages = typeof zh;

const en: AuthMessages = {
  loading: 'Reading how to sign in…',
  completing: 'Completing single sign-on…',
  ssoHelp: "Sign in with your organisation's account.",
  ssoButton: 'Sign in with single sign-on',
  expired: 'Your session has expired: sign in again.',
  refused: 'The access token is invalid or has expired: sign in again.',
  notForApi: "The identity provider's access token is not for this service: ask an administrator to check the audience setting.",
  failed: (why) => `Single sign-on did not complete: ${why}`,
  signedOutLocally: "Signed out of the console. The identity provider offers no sign-out, so its own session remains.",
  configFailed: 'Cannot read how to sign in: reload the page to retry.',
};

export const authMessages = { 'zh-CN': zh, en };
