/** A link of a navigation, marked as the current page (aria-current) while the path is its own or below it. */
import { Link, useLocation } from 'wouter';

export function NavLink({ path, label }: { path: string; label: string }) {
  const [location] = useLocation();
  const current = location === path || location.startsWith(`${path}/`);
  return (
    <Link href={path} className={current ? 'active' : ''} aria-current={current ? 'page' : undefined}>
      {label}
    </Link>
  );
}
